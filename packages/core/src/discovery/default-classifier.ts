import rules from "./device-type-rules.json" with { type: "json" };
import { type DeviceTypeRuleSet, RuleClassifier } from "./rule-classifier.js";

/** The classifier over Heimdal's own rule set (device-type-rules.json), validated on creation. */
export function createDefaultClassifier(): RuleClassifier {
  // The JSON's inferred type is wider (plain strings for types); the constructor checks it.
  return new RuleClassifier(rules as DeviceTypeRuleSet);
}
