import type { DeviceFingerprint, DeviceType, Inference } from "./device-record.js";

/** What a classifier may look at: the identity evidence of one device. */
export interface ClassificationInput {
  mac: string;
  /** IEEE registry organisation, null when unregistered or randomized. */
  vendor: string | null;
  randomizedMac: boolean;
  hostnames: string[];
  fingerprint: DeviceFingerprint;
}

export interface DeviceClassification {
  type: Inference<DeviceType>;
  model: Inference | null;
  os: Inference | null;
}

/** Decides a device's type, model and OS from its evidence; rules are data, see device-type-rules.json. */
export interface DeviceClassifier {
  classify(input: ClassificationInput): DeviceClassification;
  /** TCP ports whose answer is evidence to this classifier: what an active service probe asks. */
  probePorts?(): number[];
}

export const UNKNOWN_TYPE: Inference<DeviceType> = { value: "unknown", confidence: 0, evidence: [] };
