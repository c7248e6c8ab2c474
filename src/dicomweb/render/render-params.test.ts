import { describe, expect, it } from 'vitest';
import type { OperationOutcomeError } from '../../core/errors.js';
import { negotiateRendered, optionsKey, parseViewport, parseWindow, renderOptions } from './render-params.js';

const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as OperationOutcomeError).status;
  }
  return 200;
};

describe('rendered media type negotiation', () => {
  it('sends JPEG when anything or any image will do', () => {
    expect(negotiateRendered(undefined)).toBe('image/jpeg');
    expect(negotiateRendered('*/*')).toBe('image/jpeg');
    expect(negotiateRendered('image/*')).toBe('image/jpeg');
  });

  it('honours the first acceptable type, in a multipart/related type parameter too', () => {
    expect(negotiateRendered('image/webp, image/png;q=0.9, image/jpeg;q=0.5')).toBe('image/png');
    expect(negotiateRendered('multipart/related; type="image/gif"')).toBe('image/gif');
  });

  it('lets the accept query parameter replace the header', () => {
    expect(negotiateRendered('image/jpeg', 'image/png')).toBe('image/png');
  });

  it('answers 406 for types it cannot produce', () => {
    expect(status(() => negotiateRendered('image/webp'))).toBe(406);
    expect(status(() => negotiateRendered('application/dicom'))).toBe(406);
  });
});

describe('window parameter', () => {
  it('reads center, width and the PS3.3 function names', () => {
    expect(parseWindow('40,400')).toEqual({ center: 40, width: 400, function: 'LINEAR' });
    expect(parseWindow('-600,1500,linear-exact')).toEqual({ center: -600, width: 1500, function: 'LINEAR_EXACT' });
    expect(parseWindow('40, 400, SIGMOID')).toEqual({ center: 40, width: 400, function: 'SIGMOID' });
  });

  it('refuses missing values, unknown functions and widths the function cannot use', () => {
    for (const bad of ['40', '40,', 'a,400', '40,400,gamma', '40,400,linear,1', '40,0.5', '40,0,sigmoid'])
      expect(
        status(() => parseWindow(bad)),
        bad,
      ).toBe(400);
    expect(parseWindow('40,0.5,linear-exact').width).toBe(0.5);
  });
});

describe('viewport parameter', () => {
  it('reads a size alone or with a source region (negative extents flip)', () => {
    expect(parseViewport('128,128')).toEqual({ width: 128, height: 128 });
    expect(parseViewport('64,32,10,20,-30,40')).toEqual({
      width: 64,
      height: 32,
      region: { x: 10, y: 20, width: -30, height: 40 },
    });
  });

  it('refuses odd counts, zero or huge sizes and empty regions', () => {
    for (const bad of ['128', '128,128,1', '0,10', '10,99999', '1.5,2', '10,10,0,0,0,5', '10,10,-1,0,5,5'])
      expect(
        status(() => parseViewport(bad)),
        bad,
      ).toBe(400);
  });
});

describe('render options', () => {
  it('uses the resource defaults and gives equal options equal cache keys', () => {
    const a = renderOptions({}, undefined, { quality: 75, viewport: { width: 128, height: 128 } });
    expect(a).toEqual({ type: 'image/jpeg', quality: 75, viewport: { width: 128, height: 128 } });
    const b = renderOptions({ quality: '75', viewport: '128,128' }, '*/*', { quality: 90 });
    expect(optionsKey(a)).toBe(optionsKey(b));
    expect(optionsKey(renderOptions({ window: '1,2' }, undefined, { quality: 90 }))).not.toBe(
      optionsKey(renderOptions({}, undefined, { quality: 90 })),
    );
  });

  it('refuses a quality outside 1–100', () => {
    expect(status(() => renderOptions({ quality: '0' }, undefined, { quality: 90 }))).toBe(400);
    expect(status(() => renderOptions({ quality: '101' }, undefined, { quality: 90 }))).toBe(400);
  });
});
