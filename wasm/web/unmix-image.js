// Image helpers for the Unmix demo: the bundled CIFAR-10 sample sprite,
// uploads scaled to 32x32, and the pixel mix for an instant preview.

export const SIZE = 32;

// MAX_UPLOAD_BYTES bounds an uploaded file. Decoding a larger photo can take
// seconds and hundreds of MB, and 32x32 pixels need far less.
export const MAX_UPLOAD_BYTES = 20e6;

// loadSample fetches the sprite and its index and returns
// {index, tile(label, j)}, where tile returns the RGBA bytes of image j of a
// class, exactly as stored in the CIFAR-10 test set.
export async function loadSample(spriteURL, indexURL) {
  const [spriteResponse, indexResponse] = await Promise.all([fetch(spriteURL), fetch(indexURL)]);
  for (const [url, response] of [[spriteURL, spriteResponse], [indexURL, indexResponse]]) {
    if (!response.ok) {
      throw new Error(`fetching ${url}: HTTP status ${response.status}`);
    }
  }
  const index = await indexResponse.json();
  const bitmap = await createImageBitmap(await spriteResponse.blob(), {
    colorSpaceConversion: "none",
    premultiplyAlpha: "none",
  });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;

  const tile = (label, j) => {
    if (!(label >= 0 && label < index.classNames.length && j >= 0 && j < index.perClass)) {
      throw new Error(`the sample has no image ${j} of class ${label}`);
    }
    const out = new Uint8ClampedArray(SIZE * SIZE * 4);
    for (let y = 0; y < SIZE; y++) {
      const start = ((label * SIZE + y) * canvas.width + j * SIZE) * 4;
      out.set(pixels.subarray(start, start + SIZE * 4), y * SIZE * 4);
    }
    return out;
  };
  return { index, tile };
}

// imageFromFile decodes an image file, crops its center square and scales it
// to 32x32. It rejects files over MAX_UPLOAD_BYTES and files the browser
// cannot decode, with a message that names the file.
export async function imageFromFile(file, maxBytes = MAX_UPLOAD_BYTES) {
  if (file.size > maxBytes) {
    throw new Error(`${file.name} is ${megabytes(file.size)}; the limit is ${megabytes(maxBytes)}: pick a smaller image`);
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(`${file.name} is not an image this browser can decode: pick a PNG, JPEG, GIF or WebP file`);
  }
  try {
    return scaleToTile(bitmap);
  } finally {
    bitmap.close();
  }
}

// scaleToTile crops the center square of a bitmap and halves it step by step
// before the last resize to 32x32, which keeps fine detail from aliasing.
function scaleToTile(bitmap) {
  const side = Math.min(bitmap.width, bitmap.height);
  if (side < 1) {
    throw new Error("the image is empty");
  }
  let canvas = new OffscreenCanvas(side, side);
  let context = canvas.getContext("2d");
  context.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, side, side);

  let current = side;
  while (current / 2 >= SIZE * 2) {
    const half = Math.floor(current / 2);
    const next = new OffscreenCanvas(half, half);
    const nextContext = next.getContext("2d");
    nextContext.imageSmoothingQuality = "high";
    nextContext.drawImage(canvas, 0, 0, current, current, 0, 0, half, half);
    canvas = next;
    current = half;
  }

  const tile = new OffscreenCanvas(SIZE, SIZE);
  context = tile.getContext("2d", { willReadFrequently: true });
  context.imageSmoothingQuality = "high";
  context.fillStyle = "#fff"; // transparent pixels count as white
  context.fillRect(0, 0, SIZE, SIZE);
  context.drawImage(canvas, 0, 0, current, current, 0, 0, SIZE, SIZE);
  return context.getImageData(0, 0, SIZE, SIZE).data;
}

// mix returns ratio*a + (1-ratio)*b as opaque RGBA bytes, rounded the way the
// wasm build rounds the image it returns.
export function mix(a, b, ratio) {
  const out = new Uint8ClampedArray(a.length);
  const wa = Math.fround(ratio);
  const wb = Math.fround(1 - ratio);
  for (let i = 0; i < a.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      const v = Math.fround(Math.fround(wa * Math.fround(a[i + c] / 255)) + Math.fround(wb * Math.fround(b[i + c] / 255)));
      out[i + c] = Math.round(v * 255);
    }
    out[i + 3] = 255;
  }
  return out;
}

// draw puts 32x32 RGBA bytes on a canvas of the same size.
export function draw(canvas, rgba) {
  canvas.width = SIZE;
  canvas.height = SIZE;
  canvas.getContext("2d").putImageData(new ImageData(new Uint8ClampedArray(rgba), SIZE, SIZE), 0, 0);
}

function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
