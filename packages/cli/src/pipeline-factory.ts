import {
  createDefaultClassifier,
  type DomainParser,
  defaultDetectors,
  PacketPipeline,
  type PacketPipelineOptions,
} from "@heimdal/core";
import { ouiVendors } from "@heimdal/platform";
import { getDomain } from "tldts";

/** Registrable domains from the Public Suffix List (ICANN section) that tldts ships. */
export const publicSuffixDomains: DomainParser = {
  registrableDomain: (name) => getDomain(name) ?? undefined,
};

/** The composition root for analysis: core's pipeline with the shipped rules, the IEEE registry and the PSL. */
export function createPipeline(options: Partial<PacketPipelineOptions> = {}): PacketPipeline {
  return new PacketPipeline({
    classifier: createDefaultClassifier(),
    vendors: ouiVendors(),
    detection: { detectors: defaultDetectors({ domains: publicSuffixDomains }) },
    ...options,
    profiles: { domains: publicSuffixDomains, ...options.profiles },
  });
}
