/* TEMPORARY (branch exch only): handlers not written yet. Each helper deletes its own. */
#include "pricing-svc/feed_handlers.h"
