// The demo, described: generate.mjs expands this into API calls. Region codes are GB/T 2260's;
// organization names are made up. Dates of the interferon alliance are those of seed 000 (Fujian)
// and 001 (Jilin). Money in yuan, quantities per year in the product's unit.
export default {
  provinces: {
    '350000': { name: '福建省', cities: {
      '350100': ['福州市', { '350102': '鼓楼区', '350103': '台江区', '350104': '仓山区', '350121': '闽侯县' }],
      '350200': ['厦门市', { '350203': '思明区', '350206': '湖里区' }],
      '350500': ['泉州市', { '350502': '鲤城区', '350582': '晋江市' }] } },
    '220000': { name: '吉林省', cities: {
      '220100': ['长春市', { '220102': '南关区', '220104': '朝阳区', '220105': '二道区' }],
      '220200': ['吉林市', { '220202': '昌邑区' }] } },
    '140000': { name: '山西省', cities: {
      '140100': ['太原市', { '140105': '小店区' }],
      '141100': ['吕梁市', { '141102': '离石区', '141181': '孝义市', '141182': '汾阳市' }] } },
    '360000': { name: '江西省', cities: { '360100': ['南昌市', {}] } },
  },
  // The public hospitals of each province that executes a batch, by the name that follows the
  // region's: two in each county, one registered at each city (its review starts at the city),
  // one at the province (it starts there; its coordination area is the province).
  hospitals: { county: ['人民医院', '中医院'], city: ['第一医院'], province: ['省立医院'] },
  manufacturers: {
    mA: ['鹭岛生物制药有限公司', '350200'], mB: ['长白山生物药业有限公司', '220100'],
    mC: ['赣江生物技术有限公司', '360100'], mD: ['晋西制药有限公司', '140100'],
    mE: ['闽江生物工程股份有限公司', '350100'], mF: ['松花江药业有限公司', '220200'],
    mH: ['汾河医疗器械有限公司', '141100'], mI: ['太行医疗用品有限公司', '140100'],
    mJ: ['榕城医用材料有限公司', '350100'],
  },
  // One distributor per city (named for every product in its coordination area); Fuzhou has two
  // for mE's injection, so those contracts wait as DRAFTs for the manufacturer to pick one.
  distributor: '医药配送有限公司',
  batches: [{
    code: 'JX-YP2023-01', name: '干扰素省际联盟集中带量采购', kind: 'DRUG', organizer: 'ALLIANCE',
    lead: '360000', office: '江西省医药采购服务中心', cycleYears: 4,
    executions: {
      '350000': { listingDate: '2024-07-18', startDate: '2024-07-22', ratio: 80,
        windows: ['2024-07-04', '2024-07-08', '2024-07-09', '2024-07-12'] },
      '220000': { listingDate: '2024-09-20', startDate: '2024-09-20', ratio: 80 },
    },
    // Group id: [generic name, competitive, dosage form, specification, unit, results: [maker,
    // status, winning price, share, quality tier], for consumables [category, function]].
    groups: {
      'ifn-a1b-inj': ['重组人干扰素α1b注射液', true, '注射剂', '30μg', '支', [
        ['mA', 'WINNING', '38.5', 60, 'REFERENCE'], ['mB', 'WINNING', '41.2', 40, 'CONSISTENCY_PASSED'],
        ['mC', 'BACKUP', '44'], ['mD', 'NON_WINNING', '', 0, 'NOT_EVALUATED']]],
      'ifn-a2b-inj': ['重组人干扰素α2b注射液', true, '注射剂', '300万IU', '支', [
        ['mE', 'WINNING', '30', 100, 'ORIGINATOR'], ['mF', 'NON_WINNING', '', 0, 'NOT_EVALUATED']]],
      'ifn-a2b-spray': ['重组人干扰素α2b喷雾剂', false, '喷雾剂', '20ml:200万IU', '瓶', [
        ['mE', 'WINNING', '52', 100, 'ORIGINATOR'], ['mA', 'NON_WINNING', '', 0, 'NOT_EVALUATED']]],
      'ifn-a2b-gel': ['重组人干扰素α2b凝胶', false, '凝胶剂', '5g:100万IU', '支', [
        ['mA', 'WINNING', '26.8', 100, 'ORIGINATOR']]],
    },
    // Listed limits (挂网) before VBP, per province: product -> price.
    listings: {
      '350000': { 'ifn-a1b-inj-mA': '45', 'ifn-a1b-inj-mD': '58', 'ifn-a2b-inj-mF': '42',
        'ifn-a2b-spray-mA': '80', 'ifn-a2b-gel-mA': '28' },
      '220000': { 'ifn-a1b-inj-mD': '56', 'ifn-a2b-inj-mF': '40' },
    },
  }, {
    code: 'SX-HC2024-01', name: '山西省一次性使用静脉留置针集中带量采购', kind: 'CONSUMABLE',
    organizer: 'PROVINCE', lead: '140000', cycleYears: 2,
    executions: { '140000': { listingDate: '2024-09-26', startDate: '2024-10-08', ratio: 70 } },
    groups: {
      'iv-cannula': ['一次性使用静脉留置针', true, '', '22G', '支', [
        ['mH', 'WINNING', '4.8', 70], ['mI', 'WINNING', '5.2', 30], ['mJ', 'NON_WINNING']],
        ['静脉留置针', '外周静脉输液']],
    },
    listings: { '140000': { 'iv-cannula-mJ': '9.5' } },
  }],
  listedOn: '2023-03-01',
  // A second distributor in Fuzhou: for mE's injection there the manufacturer names both, so
  // those contracts wait as DRAFTs until it assigns one (it does, but for contractStates.draft).
  extraDistributors: [['dist-350100-2', '福州鼓楼医药配送有限公司', '350100']],
  secondDistributor: { '350100|ifn-a2b-inj-mE': 'dist-350100-2' },
  // Hospitals whose contracts their province's insurance agency confirms for them (C3, seed 001).
  agencySigns: ['h-220102-1'],
  // Fujian's year-1 contracts left at each state: a DRAFT without a distributor, those the
  // manufacturer alone signed, those the hospital did not confirm, one terminated in year 1.
  contractStates: {
    draft: 'h-350104-2', partiallySigned: 'h-350206-2', enterpriseSigned: 'h-350582-2',
    terminated: ['h-350121-2', 'ifn-a2b-gel-mA', '医院停用该剂型，经三方协商一致解除合同'],
  },
  supplyIssue: {
    institutionId: 'h-350102-1', productId: 'ifn-a1b-inj-mA', from: '2025-03-01', to: '2025-03-31',
    description: '中选企业鹭岛生物制药供货中断，改用备供产品',
  },
  // A purchase above the listed limit (58), recorded and flagged for supervision (V9).
  aboveLimit: { institutionId: 'h-350203-2', productId: 'ifn-a1b-inj-mD', quantity: '20', amount: '1200',
    orderedOn: '2025-06-06', acceptedOn: '2025-06-10' },
  nonWinningBuyers: ['h-350203-2', 'h-220104-1', 'h-141181-1'],
  examples: {
    price: ['350102', 'ifn-a1b-inj-mA', '2024-08-01'], price2: ['350200', 'ifn-a2b-spray-mA', '2024-08-01'],
    contract: ['h-350102-1', 'ifn-a1b-inj-mA'], progress: 'h-350102-1', prepayment: 'h-141102-1',
  },
  // Yearly demand by hospital level (a hospital's own is this x 0.75..1.25, deterministic).
  demand: { province: 6000, city: 2400, county: 900 },
  seed: 20240718,
};
