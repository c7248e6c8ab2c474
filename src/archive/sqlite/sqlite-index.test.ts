import { archiveIndexSuite } from '../archive-index-suite.js';
import { SqliteIndex } from './sqlite-index.js';

archiveIndexSuite('SQLite', async () => new SqliteIndex(':memory:'));
