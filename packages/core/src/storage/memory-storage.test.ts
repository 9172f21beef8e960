import { describe, expect, it } from "vitest";
import { MemoryStorage } from "./memory-storage.js";
import { storageContract } from "./storage-contract.js";

storageContract("MemoryStorage", () => new MemoryStorage(), { describe, it, expect });
