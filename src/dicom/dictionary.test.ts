import { describe, expect, it } from 'vitest';
import { keywordOfTag, tagOfKeyword, tagToHex, vrOfTag } from './index.js';

describe('dictionary lookups', () => {
  it('maps keywords to tags and back', () => {
    expect(tagOfKeyword('PatientName')).toBe(0x00100010);
    expect(tagOfKeyword('StudyInstanceUID')).toBe(0x0020000d);
    expect(keywordOfTag(0x0020000d)).toBe('StudyInstanceUID');
    expect(tagOfKeyword('NoSuchKeyword')).toBeUndefined();
  });

  it('names retired attributes by their standard keyword, without a prefix', () => {
    expect(keywordOfTag(0x00660023)).toBe('TrianglePointIndexList');
    expect(tagOfKeyword('TrianglePointIndexList')).toBe(0x00660023);
  });

  it('gives VRs, resolving "US or SS" to US and pixel data to OW as implicit VR does', () => {
    expect(vrOfTag(0x00100010)).toBe('PN');
    expect(vrOfTag(0x00280106)).toBe('US');
    expect(vrOfTag(0x7fe00010)).toBe('OW');
    expect(vrOfTag(0x00081115)).toBe('SQ');
  });

  it('finds repeating-group attributes in every overlay group', () => {
    expect(vrOfTag(0x60020010)).toBe('US');
    expect(keywordOfTag(0x601e3000)).toBe('OverlayData');
  });

  it('knows no private tags except private creators, which are LO', () => {
    expect(vrOfTag(0x00291010)).toBeUndefined();
    expect(keywordOfTag(0x00291010)).toBeUndefined();
    expect(vrOfTag(0x00290010)).toBe('LO');
    expect(vrOfTag(0x001900ff)).toBe('LO');
  });

  it('treats every group length as UL', () => {
    expect(vrOfTag(0x00280000)).toBe('UL');
  });

  it('formats tags as 8 upper-case hex digits', () => {
    expect(tagToHex(0x7fe00010)).toBe('7FE00010');
    expect(tagToHex(0x00080005)).toBe('00080005');
    expect(tagToHex(0xfffee000)).toBe('FFFEE000');
  });
});
