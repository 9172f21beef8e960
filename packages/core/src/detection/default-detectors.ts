import type { DetectorFactory } from "./detector.js";
import { newDeviceDetector } from "./detectors/new-device.js";

/** The detectors Heimdal ships, in the order they run. */
export function defaultDetectors(): DetectorFactory[] {
  return [newDeviceDetector];
}
