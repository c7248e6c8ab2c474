/** Realistic-looking values for generated headers (all ASCII, so ISO_IR 100 is enough). */

export type Modality = 'CT' | 'MR' | 'CR' | 'US' | 'DX';

export const SURNAMES = [
  'SMITH',
  'JOHNSON',
  'WILLIAMS',
  'BROWN',
  'JONES',
  'GARCIA',
  'MILLER',
  'DAVIS',
  'RODRIGUEZ',
  'MARTINEZ',
  'HERNANDEZ',
  'LOPEZ',
  'GONZALEZ',
  'WILSON',
  'ANDERSON',
  'THOMAS',
  'TAYLOR',
  'MOORE',
  'JACKSON',
  'MARTIN',
  'LEE',
  'PEREZ',
  'THOMPSON',
  'WHITE',
  'HARRIS',
  'SANCHEZ',
  'CLARK',
  'RAMIREZ',
  'LEWIS',
  'ROBINSON',
  'WALKER',
  'YOUNG',
  'ALLEN',
  'KING',
  'WRIGHT',
  'SCOTT',
  'TORRES',
  'NGUYEN',
  'HILL',
  'FLORES',
  'MUELLER',
  'SCHMIDT',
  'SCHNEIDER',
  'FISCHER',
  'WEBER',
  'DUBOIS',
  'MOREAU',
  'LAURENT',
  'ROSSI',
  'RUSSO',
] as const;

export const GIVEN_NAMES_F = [
  'MARY',
  'PATRICIA',
  'JENNIFER',
  'LINDA',
  'ELIZABETH',
  'BARBARA',
  'SUSAN',
  'JESSICA',
  'SARAH',
  'KAREN',
  'NANCY',
  'LISA',
  'ANNA',
  'SOPHIE',
  'CLAIRE',
  'EMMA',
  'JULIA',
  'LAURA',
  'MARIA',
  'HANNAH',
] as const;

export const GIVEN_NAMES_M = [
  'JAMES',
  'ROBERT',
  'JOHN',
  'MICHAEL',
  'DAVID',
  'WILLIAM',
  'RICHARD',
  'JOSEPH',
  'THOMAS',
  'CHARLES',
  'DANIEL',
  'MATTHEW',
  'PAUL',
  'MARK',
  'PETER',
  'LUCAS',
  'HENRI',
  'KLAUS',
  'MARCO',
  'ANDREW',
] as const;

export const MIDDLE_INITIALS = ['', '', '', 'A', 'B', 'C', 'D', 'E', 'J', 'K', 'L', 'M', 'R', 'S'] as const;

export const REFERRING_PHYSICIANS = [
  'WALSH^KATHERINE^^DR',
  'OKAFOR^CHIDI^^DR',
  'BERGMAN^INGRID^^DR',
  'PATEL^ANIL^^DR',
  'NAKAMURA^YUKI^^DR',
  'OCONNOR^SEAN^^DR',
  'FERREIRA^ANA^^DR',
  'KOWALSKI^PIOTR^^DR',
  'HASSAN^LEILA^^DR',
  'MEYER^JONAS^^DR',
] as const;

export const INSTITUTIONS = [
  'GENERAL HOSPITAL',
  'ST MARY MEDICAL CENTER',
  'UNIVERSITY CLINIC',
  'RIVERSIDE IMAGING',
] as const;

export const MODALITY_WEIGHTS: readonly (readonly [Modality, number])[] = [
  ['CT', 25],
  ['MR', 20],
  ['CR', 25],
  ['US', 15],
  ['DX', 15],
];

export interface Procedure {
  description: string;
  bodyPart: string;
  seriesDescription: string;
}

export const PROCEDURES: Record<Modality, readonly Procedure[]> = {
  CT: [
    { description: 'CT CHEST W/O CONTRAST', bodyPart: 'CHEST', seriesDescription: 'AXIAL 1.25MM LUNG' },
    { description: 'CT ABDOMEN PELVIS W CONTRAST', bodyPart: 'ABDOMEN', seriesDescription: 'PORTAL VENOUS 2.5MM' },
    { description: 'CT HEAD W/O CONTRAST', bodyPart: 'HEAD', seriesDescription: 'AXIAL 5MM BRAIN' },
  ],
  MR: [
    { description: 'MR BRAIN W/WO CONTRAST', bodyPart: 'BRAIN', seriesDescription: 'AX T2 FLAIR' },
    { description: 'MR KNEE LEFT W/O CONTRAST', bodyPart: 'KNEE', seriesDescription: 'SAG PD FS' },
    { description: 'MR LUMBAR SPINE W/O CONTRAST', bodyPart: 'LSPINE', seriesDescription: 'SAG T1' },
  ],
  CR: [
    { description: 'XR CHEST 2 VIEWS', bodyPart: 'CHEST', seriesDescription: 'PA AND LATERAL' },
    { description: 'XR PELVIS 1 VIEW', bodyPart: 'PELVIS', seriesDescription: 'AP' },
  ],
  US: [
    { description: 'US ABDOMEN COMPLETE', bodyPart: 'ABDOMEN', seriesDescription: 'ABDOMEN' },
    { description: 'US THYROID', bodyPart: 'NECK', seriesDescription: 'THYROID' },
  ],
  DX: [
    { description: 'XR HAND LEFT 3 VIEWS', bodyPart: 'HAND', seriesDescription: 'HAND PA' },
    { description: 'XR FOOT RIGHT 3 VIEWS', bodyPart: 'FOOT', seriesDescription: 'FOOT AP' },
  ],
};

export const MANUFACTURERS: Record<Modality, string> = {
  CT: 'SIEMENS',
  MR: 'GE MEDICAL SYSTEMS',
  CR: 'FUJIFILM Corporation',
  US: 'Philips',
  DX: 'Carestream Health',
};

export const SOP_CLASSES: Record<Modality, string> = {
  CT: '1.2.840.10008.5.1.4.1.1.2',
  MR: '1.2.840.10008.5.1.4.1.1.4',
  CR: '1.2.840.10008.5.1.4.1.1.1',
  US: '1.2.840.10008.5.1.4.1.1.6.1',
  DX: '1.2.840.10008.5.1.4.1.1.1.1',
};

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
