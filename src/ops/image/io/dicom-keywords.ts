/**
 * The DICOM attributes fuseflow can put into a sample by keyword: keyword → (group, element) and
 * value representation (VR), as DICOM PS3.6's data dictionary lists them (pydicom's keywords).
 * The set covers what data sets and loaders ask for (patient, study, series, equipment,
 * acquisition and image-plane attributes); sequences, binary values (OB/OW/UN) and private tags
 * are not read.
 */
import { OptionsError } from '../../../core/errors.js';
import { closestText } from '../../../core/closest-names.js';

/** Value representations of the attributes in {@link DICOM_KEYWORDS}. */
export type DicomVr = 'AS' | 'CS' | 'DA' | 'DS' | 'IS' | 'LO' | 'PN' | 'SH' | 'TM' | 'UI' | 'US';

/** One attribute: its tag and VR. */
export interface DicomAttribute {
  readonly keyword: string;
  readonly group: number;
  readonly element: number;
  readonly vr: DicomVr;
}

/** [keyword, group, element, VR]; SmallestImagePixelValue/LargestImagePixelValue are "US or SS" in PS3.6 (a number either way). */
const ROWS: ReadonlyArray<readonly [string, number, number, DicomVr]> = [
  ['SpecificCharacterSet', 0x0008, 0x0005, 'CS'],
  ['ImageType', 0x0008, 0x0008, 'CS'],
  ['SOPClassUID', 0x0008, 0x0016, 'UI'],
  ['SOPInstanceUID', 0x0008, 0x0018, 'UI'],
  ['StudyDate', 0x0008, 0x0020, 'DA'],
  ['SeriesDate', 0x0008, 0x0021, 'DA'],
  ['AcquisitionDate', 0x0008, 0x0022, 'DA'],
  ['ContentDate', 0x0008, 0x0023, 'DA'],
  ['StudyTime', 0x0008, 0x0030, 'TM'],
  ['SeriesTime', 0x0008, 0x0031, 'TM'],
  ['AcquisitionTime', 0x0008, 0x0032, 'TM'],
  ['ContentTime', 0x0008, 0x0033, 'TM'],
  ['AccessionNumber', 0x0008, 0x0050, 'SH'],
  ['Modality', 0x0008, 0x0060, 'CS'],
  ['Manufacturer', 0x0008, 0x0070, 'LO'],
  ['InstitutionName', 0x0008, 0x0080, 'LO'],
  ['ReferringPhysicianName', 0x0008, 0x0090, 'PN'],
  ['StationName', 0x0008, 0x1010, 'SH'],
  ['StudyDescription', 0x0008, 0x1030, 'LO'],
  ['SeriesDescription', 0x0008, 0x103e, 'LO'],
  ['ManufacturerModelName', 0x0008, 0x1090, 'LO'],
  ['PatientName', 0x0010, 0x0010, 'PN'],
  ['PatientID', 0x0010, 0x0020, 'LO'],
  ['PatientBirthDate', 0x0010, 0x0030, 'DA'],
  ['PatientSex', 0x0010, 0x0040, 'CS'],
  ['PatientAge', 0x0010, 0x1010, 'AS'],
  ['PatientSize', 0x0010, 0x1020, 'DS'],
  ['PatientWeight', 0x0010, 0x1030, 'DS'],
  ['BodyPartExamined', 0x0018, 0x0015, 'CS'],
  ['ScanningSequence', 0x0018, 0x0020, 'CS'],
  ['SequenceVariant', 0x0018, 0x0021, 'CS'],
  ['ScanOptions', 0x0018, 0x0022, 'CS'],
  ['MRAcquisitionType', 0x0018, 0x0023, 'CS'],
  ['SliceThickness', 0x0018, 0x0050, 'DS'],
  ['KVP', 0x0018, 0x0060, 'DS'],
  ['RepetitionTime', 0x0018, 0x0080, 'DS'],
  ['EchoTime', 0x0018, 0x0081, 'DS'],
  ['InversionTime', 0x0018, 0x0082, 'DS'],
  ['NumberOfAverages', 0x0018, 0x0083, 'DS'],
  ['ImagingFrequency', 0x0018, 0x0084, 'DS'],
  ['MagneticFieldStrength', 0x0018, 0x0087, 'DS'],
  ['SpacingBetweenSlices', 0x0018, 0x0088, 'DS'],
  ['EchoTrainLength', 0x0018, 0x0091, 'IS'],
  ['ProtocolName', 0x0018, 0x1030, 'LO'],
  ['ContrastBolusAgent', 0x0018, 0x0010, 'LO'],
  ['DataCollectionDiameter', 0x0018, 0x0090, 'DS'],
  ['ReconstructionDiameter', 0x0018, 0x1100, 'DS'],
  ['ExposureTime', 0x0018, 0x1150, 'IS'],
  ['XRayTubeCurrent', 0x0018, 0x1151, 'IS'],
  ['Exposure', 0x0018, 0x1152, 'IS'],
  ['ConvolutionKernel', 0x0018, 0x1210, 'SH'],
  ['FlipAngle', 0x0018, 0x1314, 'DS'],
  ['PatientPosition', 0x0018, 0x5100, 'CS'],
  ['StudyInstanceUID', 0x0020, 0x000d, 'UI'],
  ['SeriesInstanceUID', 0x0020, 0x000e, 'UI'],
  ['StudyID', 0x0020, 0x0010, 'SH'],
  ['SeriesNumber', 0x0020, 0x0011, 'IS'],
  ['AcquisitionNumber', 0x0020, 0x0012, 'IS'],
  ['InstanceNumber', 0x0020, 0x0013, 'IS'],
  ['PatientOrientation', 0x0020, 0x0020, 'CS'],
  ['ImagePositionPatient', 0x0020, 0x0032, 'DS'],
  ['ImageOrientationPatient', 0x0020, 0x0037, 'DS'],
  ['FrameOfReferenceUID', 0x0020, 0x0052, 'UI'],
  ['ImagesInAcquisition', 0x0020, 0x1002, 'IS'],
  ['SliceLocation', 0x0020, 0x1041, 'DS'],
  ['SamplesPerPixel', 0x0028, 0x0002, 'US'],
  ['PhotometricInterpretation', 0x0028, 0x0004, 'CS'],
  ['NumberOfFrames', 0x0028, 0x0008, 'IS'],
  ['Rows', 0x0028, 0x0010, 'US'],
  ['Columns', 0x0028, 0x0011, 'US'],
  ['PixelSpacing', 0x0028, 0x0030, 'DS'],
  ['BitsAllocated', 0x0028, 0x0100, 'US'],
  ['BitsStored', 0x0028, 0x0101, 'US'],
  ['HighBit', 0x0028, 0x0102, 'US'],
  ['PixelRepresentation', 0x0028, 0x0103, 'US'],
  ['SmallestImagePixelValue', 0x0028, 0x0106, 'US'],
  ['LargestImagePixelValue', 0x0028, 0x0107, 'US'],
  ['WindowCenter', 0x0028, 0x1050, 'DS'],
  ['WindowWidth', 0x0028, 0x1051, 'DS'],
  ['RescaleIntercept', 0x0028, 0x1052, 'DS'],
  ['RescaleSlope', 0x0028, 0x1053, 'DS'],
  ['RescaleType', 0x0028, 0x1054, 'LO'],
];

const TABLE: ReadonlyMap<string, DicomAttribute> = new Map(ROWS.map(([keyword, group, element, vr]) => [keyword, { keyword, group, element, vr }]));

/** The keywords fuseflow knows, in table order. */
export function dicomKeywords(): string[] {
  return [...TABLE.keys()];
}

/** `(GGGG,EEEE)` for a tag, as DICOM writes it. */
export function tagText(a: Pick<DicomAttribute, 'group' | 'element'>): string {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
  return `(${hex(a.group)},${hex(a.element)})`;
}

/**
 * The attributes for `keywords` (in the order given).
 *
 * @example
 * dicomAttributes(['PatientID', 'SliceThickness']); // [{ keyword: 'PatientID', group: 0x0010, element: 0x0020, vr: 'LO' }, …]
 * @throws {OptionsError} for an empty list, a repeated keyword, or an unknown keyword (naming the
 *   closest known ones, e.g. `unknown DICOM keyword 'PatientId'; closest: 'PatientID', …`).
 */
export function dicomAttributes(keywords: readonly string[], where = 'DICOM tags'): DicomAttribute[] {
  if (!Array.isArray(keywords) || keywords.length === 0) throw new OptionsError(`${where}: give at least one DICOM keyword (e.g. 'PatientID', 'Modality')`);
  const seen = new Set<string>();
  return keywords.map((keyword) => {
    if (typeof keyword !== 'string') throw new OptionsError(`${where}: keywords must be strings, got ${JSON.stringify(keyword)}`);
    if (seen.has(keyword)) throw new OptionsError(`${where}: keyword '${keyword}' is listed twice`);
    seen.add(keyword);
    const attribute = TABLE.get(keyword);
    if (attribute === undefined) throw new OptionsError(`${where}: unknown DICOM keyword '${keyword}'; ${closestText([...TABLE.keys()], keyword, 'keywords fuseflow reads')}`);
    return attribute;
  });
}
