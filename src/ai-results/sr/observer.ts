/**
 * The algorithm behind a TID 1500 report, as the input's `model`: Algorithm Identification
 * (TID 4019) of the measurement groups first, then the device observer context (TID 1004),
 * then the SR's General Equipment (Manufacturer Model Name, Software Versions).
 */
import type { DicomJson } from '../../dicom/types.js';
import type { AiResultInput } from '../input.js';
import { CODES, type Concept } from './codes.js';
import { T, text, texts, type ContentItem } from './content.js';

export type Model = AiResultInput['model'];

/** Observer context items directly under the root (HAS OBS CONTEXT), by concept. */
function context(root: ContentItem, c: Concept): string | undefined {
  const item = root.children.find((x) => x.is(c[0], c[1]));
  return item?.textValue ?? item?.uid;
}

/** The model, or the reason there is none. */
export function modelOf(
  json: DicomJson,
  root: ContentItem,
  algorithm: { name?: string; version?: string } | undefined,
  note: (t: string) => void,
): Model | string {
  const deviceName = context(root, CODES.DeviceObserverName);
  const deviceModel = context(root, CODES.DeviceObserverModelName);
  const deviceManufacturer = context(root, CODES.DeviceObserverManufacturer);
  const deviceUid = context(root, CODES.DeviceObserverUID);
  const serial = context(root, CODES.DeviceObserverSerialNumber) ?? text(json, T.DeviceSerialNumber);
  const name = algorithm?.name ?? deviceModel ?? deviceName ?? text(json, T.ManufacturerModelName);
  if (!name)
    return 'no Algorithm Name (111001), Device Observer Model Name / Name (121015 / 121013) nor Manufacturer Model Name (0008,1090) names the algorithm';
  let version = algorithm?.version ?? (texts(json, T.SoftwareVersions).join(' ') || undefined);
  if (!version) {
    note('no Algorithm Version (111003) nor Software Versions (0018,1020): the model version is "unspecified"');
    version = 'unspecified';
  }
  const manufacturer = deviceManufacturer ?? text(json, T.Manufacturer);
  const model: Model = { name, version };
  if (manufacturer) model.manufacturer = manufacturer;
  if (deviceName && deviceName !== name) model.deviceObserverName = deviceName;
  if (deviceUid) model.deviceObserverUid = deviceUid;
  if (serial) model.serialNumber = serial;
  return model;
}
