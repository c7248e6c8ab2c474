/**
 * The layer rules of src/ (docs/architecture.md, "Layers"), checked by dependency-cruiser in
 * `npm test` (test/architecture/layers.test.ts). By hand: `npx depcruise src --config`.
 *
 * Each folder of src/ may import only the folders named in its row of LAYERS (and itself);
 * a folder without a row fails the test, so a new folder is placed deliberately. cli/ has no row:
 * the commands may import anything; src/main.ts, the composition root, everything but cli/.
 * Test files (*.test.ts) are left out: a test may reach wherever it needs to.
 */

/** folder of src/ → the folders of src/ it may import. Lower layers first. */
const LAYERS = {
  core: [],
  dicom: ['core'],
  config: ['core'],
  auth: ['core'],
  archive: ['core', 'dicom'],
  fhir: ['core', 'auth'],
  dicomweb: ['core', 'dicom', 'archive'],
  audit: ['core', 'auth', 'fhir'],
  security: ['core', 'auth'],
  context: ['core', 'auth', 'fhir'],
  'ai-results': ['core', 'auth', 'dicom', 'fhir', 'context'],
  notifications: ['core', 'auth', 'fhir', 'context', 'audit', 'security'],
  // Clinical applications: rules over the record (pure) and the services that read and persist them.
  clinical: ['core', 'auth', 'fhir', 'context'],
  // The clinical applications' services: read the record, run clinical/'s rules, persist, push live
  // events. Anything else (the archive, the bridge) reaches them through ports wired in main.ts.
  applications: ['core', 'auth', 'fhir', 'context', 'clinical', 'notifications'],
  bridge: ['core', 'auth', 'dicom', 'archive', 'fhir', 'ai-results'],
  demo: ['core', 'dicom', 'archive', 'fhir'],
  dimse: ['core', 'config', 'dicom', 'archive', 'audit'],
  // A source is a remote PACS we query and retrieve from: it uses dimse/'s SCU (dimse/ is the
  // only importer of dcmjs-dimse) and dicomweb/'s multipart reader as clients.
  sources: ['core', 'config', 'dicom', 'archive', 'dicomweb', 'dimse'],
  // The readiness assessment and reconciliation: a client of a site's FHIR server, DICOMweb and
  // DIMSE peers; reconciliation hands what is missing to the bridge.
  assessment: ['core', 'config', 'auth', 'dicom', 'fhir', 'dicomweb', 'dimse', 'sources', 'bridge'],
  // `imaging-bridge migrate`: copies the embedded stores into their PostgreSQL twins (bridge: the study links' schema).
  migrate: ['core', 'archive', 'fhir', 'audit', 'security', 'sources', 'bridge'],
  http: [
    'core',
    'auth',
    'archive',
    'dicomweb',
    'fhir',
    'context',
    'ai-results',
    'clinical',
    'applications',
    'assessment',
    'bridge',
    'audit',
    'security',
  ],
};

const within = (folders) => `^src/(${folders.join('|')})/`;

const layerRules = Object.entries(LAYERS).map(([folder, allowed]) => ({
  name: `layer-${folder}`,
  severity: 'error',
  comment: `src/${folder}/ imports from src/ only ${[folder, ...allowed].map((f) => `${f}/`).join(', ')}`,
  from: { path: within([folder]) },
  to: { path: '^src/', pathNot: within([folder, ...allowed]) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules of src/ form no import cycle (type-only imports count).',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-test',
      severity: 'error',
      comment: 'src/ never imports test/ (test helpers that src/ needs do not belong in test/, and vice versa).',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'main-not-to-cli',
      severity: 'error',
      comment:
        'The composition root (src/main.ts) imports every folder but cli/ (LAYERS keeps others from main.ts, cli/).',
      from: { path: '^src/main\\.ts$' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'config-loader',
      severity: 'error',
      comment:
        'Only cli/ loads the configuration (config/load.ts reads files and environment); the rest is passed a Config.',
      from: { path: '^src/', pathNot: '^src/(cli|config)/' },
      to: { path: '^src/config/load\\.ts$' },
    },
    {
      name: 'dcmjs-dimse-in-dimse',
      severity: 'error',
      comment: 'dimse/ is the only importer of dcmjs-dimse: the rest of the code sees our own DIMSE interface.',
      from: { path: '^src/', pathNot: '^src/dimse/' },
      to: { path: 'node_modules/dcmjs-dimse/' },
    },
    ...layerRules,
  ],
  options: {
    // Type-only imports are part of the layering too (a type from above is a dependency on it).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    // Only the extensions this tree uses (each one is a file lookup per import), and the file
    // system lookups of one run shared by all its imports (in memory, nothing kept on disk).
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.d.ts', '.json'],
      cachedInputFileSystem: { cacheDuration: 60_000 },
    },
    exclude: { path: '\\.test\\.ts$' },
  },
};
