/**
 * TextEncoder and TextDecoder exist in every runtime core targets (Node, browsers, Deno) but
 * not in the ES library core compiles against (no DOM, no Node types): declare what we use.
 */
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}
