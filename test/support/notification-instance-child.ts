/**
 * A second instance for the rest-hook takeover test (src/notifications/postgres/two-instances.test.ts):
 * `SETTINGS_JSON` (InstanceSettings) opens the instance's notifications, writes a Patient that
 * the test's Subscription matches, prints `written ID`, and keeps delivering until the test
 * SIGKILLs it — an instance that dies mid-retry.
 */
import { openTestInstance, type InstanceSettings } from '../../src/notifications/postgres/instance-test-support.js';

const settings = JSON.parse(process.argv[2]!) as InstanceSettings;
const instance = await openTestInstance(settings);
const p = await instance.fhir.create({ resourceType: 'Patient', name: [{ family: 'Doe' }] });
console.log(`written ${p.id}`);
setInterval(() => undefined, 60_000);
