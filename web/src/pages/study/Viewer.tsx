import { type KeyboardEvent, type PointerEvent, useEffect, useRef, useState } from 'react';
import { apiFetch } from '../../api/http';
import { instancePath, num, renderedFrame, TAG, text } from '../../api/dicomweb';
import { AuthImage } from '../../components/AuthImage';
import { Attributes } from './Attributes';
import { type Frame, instanceWindow, PRESETS, type Window } from './frames';

/**
 * The frame viewer on the server's rendered frames (PS3.18 `…/frames/{f}/rendered`): no decoder
 * in the browser. Wheel, arrow keys and the slider scroll; presets or a drag set the window,
 * which is sent as `window=center,width` (debounced); zoom and pan are CSS transforms.
 */
export function Viewer({ study, series, frames }: { study: string; series: string; frames: Frame[] }) {
  const [index, setIndex] = useState(0);
  const [preset, setPreset] = useState('Instance');
  const [win, setWin] = useState<Window | undefined>();
  const [sent, setSent] = useState<Window | undefined>();
  const [zoom, setZoom] = useState(1);
  const [pan, setPan] = useState({ x: 0, y: 0 });
  const [dragMode, setDragMode] = useState<'window' | 'pan'>('window');
  const stage = useRef<HTMLDivElement>(null);
  const drag = useRef<{ x: number; y: number; window: Window; pan: { x: number; y: number } } | undefined>(undefined);
  const current = frames[Math.min(index, frames.length - 1)];

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new series starts at its first frame
  useEffect(() => setIndex(0), [series]);
  // The wheel scrolls frames, not the page: React's wheel handler is passive and cannot stop it.
  useEffect(() => {
    const el = stage.current;
    if (!el) return;
    const onWheel = (e: globalThis.WheelEvent) => {
      e.preventDefault();
      const step = e.deltaY > 0 ? 1 : -1;
      setIndex((i) => Math.max(0, Math.min(frames.length - 1, i + step)));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [frames.length]);
  // Drags change the window many times a second: ask the server only once it settles.
  useEffect(() => {
    const t = setTimeout(() => setSent(win), 150);
    return () => clearTimeout(t);
  }, [win]);

  if (!current) return <p>This series has no images.</p>;
  const go = (i: number) => setIndex(Math.max(0, Math.min(frames.length - 1, i)));
  const onKey = (e: KeyboardEvent) => {
    const step = new Map([
      ['ArrowDown', 1],
      ['ArrowRight', 1],
      ['PageDown', 10],
      ['ArrowUp', -1],
      ['ArrowLeft', -1],
      ['PageUp', -10],
    ]).get(e.key);
    if (step !== undefined) go(index + step);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(frames.length - 1);
    else if (e.key === '+' || e.key === '=') setZoom((z) => Math.min(8, z * 1.25));
    else if (e.key === '-') setZoom((z) => Math.max(0.25, z / 1.25));
    else return;
    e.preventDefault();
  };
  const choose = (name: string) => {
    setPreset(name);
    setWin(PRESETS.find((p) => p.name === name)?.window);
  };
  const onPointerDown = (e: PointerEvent) => {
    (e.target as Element).setPointerCapture?.(e.pointerId);
    drag.current = { x: e.clientX, y: e.clientY, window: win ?? instanceWindow(current.instance), pan };
  };
  const onPointerMove = (e: PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (dragMode === 'pan') return setPan({ x: d.pan.x + dx, y: d.pan.y + dy });
    setPreset('Custom');
    setWin({ center: d.window.center + dy * 2, width: Math.max(1, d.window.width + dx * 4) });
  };
  const onPointerUp = () => {
    drag.current = undefined;
  };
  const shown = sent;
  const w = shown ?? instanceWindow(current.instance);

  return (
    <div className="viewer-columns">
      <div className="viewer">
        <div className="toolbar" role="toolbar" aria-label="Viewer tools">
          <fieldset>
            <legend>Window</legend>
            {[...PRESETS.map((p) => p.name)].map((name) => (
              <button key={name} type="button" aria-pressed={preset === name} onClick={() => choose(name)}>
                {name}
              </button>
            ))}
          </fieldset>
          <fieldset>
            <legend>Drag</legend>
            <button type="button" aria-pressed={dragMode === 'window'} onClick={() => setDragMode('window')}>
              Window
            </button>
            <button type="button" aria-pressed={dragMode === 'pan'} onClick={() => setDragMode('pan')}>
              Pan
            </button>
          </fieldset>
          <fieldset>
            <legend>Zoom</legend>
            <button type="button" onClick={() => setZoom((z) => Math.max(0.25, z / 1.25))} aria-label="Zoom out">
              −
            </button>
            <button type="button" onClick={() => setZoom((z) => Math.min(8, z * 1.25))} aria-label="Zoom in">
              +
            </button>
            <button
              type="button"
              onClick={() => {
                setZoom(1);
                setPan({ x: 0, y: 0 });
              }}
            >
              Reset
            </button>
          </fieldset>
          <DownloadButton study={study} series={series} sop={current.sop} />
        </div>
        <div
          ref={stage}
          className="stage"
          tabIndex={0}
          role="slider"
          aria-roledescription="image stack"
          aria-label="Images: arrow keys scroll, + and - zoom"
          aria-valuemin={1}
          aria-valuemax={frames.length}
          aria-valuenow={index + 1}
          aria-valuetext={`Image ${index + 1} of ${frames.length}`}
          onKeyDown={onKey}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
        >
          <div className="pan" style={{ transform: `translate(${pan.x}px, ${pan.y}px) scale(${zoom})` }}>
            <AuthImage
              className="frame"
              src={renderedFrame(study, series, current.sop, current.frame, shown)}
              alt={`Frame ${index + 1} of ${frames.length}`}
            />
          </div>
          <div className="overlay tl" aria-hidden="true">
            <div>
              {text(current.instance, TAG.modality)} · Se {text(current.instance, TAG.seriesNumber) ?? '?'} · Im{' '}
              {text(current.instance, TAG.instanceNumber) ?? '?'}
              {current.frames > 1 ? ` · fr ${current.frame}/${current.frames}` : ''}
            </div>
            <div>{text(current.instance, TAG.seriesDescription)}</div>
          </div>
          <div className="overlay tr" aria-hidden="true">
            <div className="frame-number">
              {index + 1} / {frames.length}
            </div>
            <div>
              {num(current.instance, TAG.columns)}×{num(current.instance, TAG.rows)}
              {text(current.instance, TAG.sliceThickness) ? ` · ${text(current.instance, TAG.sliceThickness)} mm` : ''}
            </div>
          </div>
          <div className="overlay bl" aria-hidden="true">
            W {Math.round(w.width)} L {Math.round(w.center)} · zoom {Math.round(zoom * 100)} %
          </div>
        </div>
        <label className="slider">
          Frame
          <input
            type="range"
            min={1}
            max={frames.length}
            value={index + 1}
            onChange={(e) => go(Number(e.target.value) - 1)}
            aria-valuetext={`${index + 1} of ${frames.length}`}
          />
          <output>
            {index + 1} / {frames.length}
          </output>
        </label>
      </div>
      <Attributes instance={current.instance} />
    </div>
  );
}

/** WADO-RS retrieve of the instance as application/dicom (any transfer syntax), saved by the browser. */
function DownloadButton({ study, series, sop }: { study: string; series: string; sop: string }) {
  const [error, setError] = useState<string>();
  const download = async () => {
    setError(undefined);
    try {
      const res = await apiFetch(instancePath(study, series, sop), {
        headers: { accept: 'application/dicom; transfer-syntax=*' },
      });
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = `${sop}.dcm`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <>
      <button type="button" onClick={() => void download()}>
        Download instance
      </button>
      {error && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
