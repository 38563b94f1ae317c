/**
 * The software fallback for H.264 (baseline) when the webview has no WebCodecs decoder: tinyh264, a
 * WebAssembly build of the h264bsd decoder, decoding access units to YUV 4:2:0, converted to RGB here.
 */
// @ts-expect-error: tinyh264 ships no type declarations
import TinyH264 from 'tinyh264/lib/TinyH264';
// @ts-expect-error: tinyh264 ships no type declarations
import TinyH264Decoder from 'tinyh264/lib/TinyH264Decoder';

export interface SoftDecoder {
  decode(au: Uint8Array): void;
}

export async function createSoftDecoder(onPicture: (rgba: ImageData) => void): Promise<SoftDecoder> {
  const module = await (TinyH264 as () => Promise<unknown>)();
  let image: ImageData | undefined;
  const dec = new (TinyH264Decoder as new (m: unknown, cb: (pic: Uint8Array, w: number, h: number) => void) => { decode(nal: Uint8Array): void })(module, (pic, w, h) => {
    if (!image || image.width !== w || image.height !== h) image = new ImageData(w, h);
    const out = image.data;
    const ySize = w * h;
    const cw = w >> 1;
    // BT.601, limited range.
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const Y = 1.164 * (pic[y * w + x] - 16);
        const ci = (y >> 1) * cw + (x >> 1);
        const U = pic[ySize + ci] - 128;
        const V = pic[ySize + (ySize >> 2) + ci] - 128;
        const o = (y * w + x) * 4;
        out[o] = Y + 1.596 * V;
        out[o + 1] = Y - 0.392 * U - 0.813 * V;
        out[o + 2] = Y + 2.017 * U;
        out[o + 3] = 255;
      }
    }
    onPicture(image);
  });
  return { decode: (au) => dec.decode(au) };
}
