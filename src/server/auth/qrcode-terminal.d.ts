/** Minimal types for qrcode-terminal 0.12 (a CommonJS module that ships no types). */
declare module "qrcode-terminal" {
  interface GenerateOptions {
    /** Half-height blocks: a code about a quarter the size. */
    small?: boolean;
  }
  interface QrcodeTerminal {
    /** With a callback, the code is passed to it (synchronously) instead of being printed. */
    generate(input: string, opts: GenerateOptions, callback: (qrcode: string) => void): void;
    generate(input: string, callback: (qrcode: string) => void): void;
    generate(input: string, opts?: GenerateOptions): void;
    setErrorLevel(level: "L" | "M" | "Q" | "H"): void;
  }
  const qrcode: QrcodeTerminal;
  export = qrcode;
}
