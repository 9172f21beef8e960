import { createDefaultClassifier, PacketPipeline, type PacketPipelineOptions } from "@heimdal/core";
import { ouiVendors } from "@heimdal/platform";

/** The composition root for analysis: core's pipeline with the shipped rules and the IEEE registry. */
export function createPipeline(options: Partial<PacketPipelineOptions> = {}): PacketPipeline {
  return new PacketPipeline({ classifier: createDefaultClassifier(), vendors: ouiVendors(), ...options });
}
