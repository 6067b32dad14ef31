// Swagger UI over the gateway's own document, in place of the dist's default (an example API on the
// internet): nothing outside this origin is asked for. The key typed into Authorize is kept in
// the browser's local storage across reloads (persistAuthorization), and "Try it out" sends it
// as Authorization: Bearer <key>, the document's security scheme.
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    // The default would show a badge fetched from an online validator.
    validatorUrl: null,
    // No ?url= or ?configUrl= from the address bar: this page explores this gateway only.
    queryConfigEnabled: false,
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'BaseLayout',
  });
};
