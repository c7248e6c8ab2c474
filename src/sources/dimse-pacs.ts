/**
 * A DIMSE-only PACS: C-FIND to watch, C-GET (or C-MOVE to our own AE) to copy. Metadata-only
 * indexing merges study, series and image C-FIND answers: what the PACS returns, no more
 * (binary values such as Rows are not carried by C-FIND answers; see docs/sources.md).
 */
import type { DicomJson } from '../dicom/types.js';
import { cFind, cGet, cMove, type RemoteAe } from '../dimse/scu/index.js';
import type { StorePort } from '../dimse/store-handler.js';
import type { RemoteInstance, RemotePacs, RemoteStudy, RetrieveResult, RetrieveUnit } from './pacs.js';
import type { DimseSource } from './settings.js';
import { firstString, integerOf } from './json.js';

const STUDY_KEYS = [
  'StudyDate',
  'StudyTime',
  'AccessionNumber',
  'PatientName',
  'PatientID',
  'PatientBirthDate',
  'PatientSex',
  'StudyID',
  'StudyDescription',
  'ReferringPhysicianName',
  'ModalitiesInStudy',
  'NumberOfStudyRelatedSeries',
  'NumberOfStudyRelatedInstances',
  'IssuerOfPatientID',
  'SpecificCharacterSet',
];
const SERIES_KEYS = [
  'Modality',
  'SeriesNumber',
  'SeriesDescription',
  'BodyPartExamined',
  'Laterality',
  'SeriesDate',
  'SeriesTime',
  'PerformedProcedureStepStartDate',
  'PerformedProcedureStepStartTime',
];
const IMAGE_KEYS = ['SOPClassUID', 'InstanceNumber', 'ContentDate', 'ContentTime', 'ImageType', 'NumberOfFrames'];

export interface DimseIdentity {
  /** Our AE title: calling AE, and the C-MOVE destination. */
  aeTitle: string;
  maxPduLength: number;
  tls?: RemoteAe['tls'];
}

export class DimsePacs implements RemotePacs {
  readonly dicomwebUrl = undefined;
  private readonly ae: RemoteAe;

  constructor(
    private readonly s: DimseSource,
    private readonly us: DimseIdentity,
    private readonly archive: StorePort,
  ) {
    this.ae = {
      peer: { host: s.host, port: s.port, tls: s.tls },
      callingAe: us.aeTitle,
      calledAe: s.aet,
      maxPduLength: us.maxPduLength,
      timeoutMs: s.timeoutSeconds * 1000,
      tls: us.tls,
    };
  }

  async findStudies(fromDate: string | undefined): Promise<RemoteStudy[]> {
    const keys = blank(STUDY_KEYS);
    keys.StudyInstanceUID = '';
    if (fromDate) keys.StudyDate = `${fromDate}-`;
    const answers = await cFind(this.ae, 'STUDY', keys);
    return answers.flatMap((j) => {
      const studyUid = firstString(j, '0020000D');
      if (!studyUid) return [];
      return [
        {
          studyUid,
          studyDate: firstString(j, '00080020') ?? '',
          instances: integerOf(j, '00201208'),
          series: integerOf(j, '00201206'),
          json: j,
        },
      ];
    });
  }

  async instancesOf(study: RemoteStudy): Promise<RemoteInstance[]> {
    const answers = await cFind(this.ae, 'IMAGE', {
      StudyInstanceUID: study.studyUid,
      SeriesInstanceUID: '',
      SOPInstanceUID: '',
      SOPClassUID: '',
    });
    return answers.flatMap((j) => {
      const seriesUid = firstString(j, '0020000E');
      const sopUid = firstString(j, '00080018');
      return seriesUid && sopUid ? [{ seriesUid, sopUid, sopClassUid: firstString(j, '00080016') }] : [];
    });
  }

  async retrieve(units: RetrieveUnit[], sopClasses: string[]): Promise<RetrieveResult> {
    if (units.length === 0) return { stored: 0, failed: 0 };
    const source = `source:${this.s.name}`;
    const counts =
      this.s.retrieve === 'c-get'
        ? await cGet(
            this.ae,
            units,
            { store: (chunks, ctx) => this.archive.store(chunks, { ...ctx, source }) },
            sopClasses,
          )
        : await cMove(this.ae, units, this.us.aeTitle);
    return { stored: counts.completed + counts.warning, failed: counts.failed };
  }

  async metadataOf(study: RemoteStudy, instances: RemoteInstance[]): Promise<DicomJson[]> {
    const wanted = new Set(instances.map((i) => i.sopUid));
    const studyLevel: DicomJson = { ...study.json };
    delete studyLevel['00201206'];
    delete studyLevel['00201208'];
    delete studyLevel['00080061'];
    delete studyLevel['00080052'];
    const series = new Map<string, DicomJson>();
    for (const j of await cFind(this.ae, 'SERIES', {
      StudyInstanceUID: study.studyUid,
      SeriesInstanceUID: '',
      ...blank(SERIES_KEYS),
    })) {
      const uid = firstString(j, '0020000E');
      if (uid) series.set(uid, j);
    }
    const images = await cFind(this.ae, 'IMAGE', {
      StudyInstanceUID: study.studyUid,
      SeriesInstanceUID: '',
      SOPInstanceUID: '',
      ...blank(IMAGE_KEYS),
    });
    return images
      .filter((j) => wanted.has(firstString(j, '00080018') ?? ''))
      .map((j) => {
        const merged: DicomJson = { ...studyLevel, ...(series.get(firstString(j, '0020000E') ?? '') ?? {}), ...j };
        delete merged['00080052']; // QueryRetrieveLevel
        delete merged['00080054']; // RetrieveAETitle
        return withoutEmpty(merged);
      });
  }
}

function blank(keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, '']));
}

/** Return keys the PACS had no value for are not data: leave them out. */
function withoutEmpty(j: DicomJson): DicomJson {
  return Object.fromEntries(Object.entries(j).filter(([, a]) => a.Value !== undefined && a.Value.length > 0));
}
