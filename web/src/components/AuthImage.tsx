import { useEffect, useState } from 'react';
import { apiFetch } from '../api/http';

/**
 * An image from our API fetched with the bearer token (an <img src> cannot send one) and shown
 * from a blob: URL. A 404 / 406 (not rendered by this server, or a transfer syntax it cannot
 * decode) shows a visible "no preview" placeholder with the reason, never a broken image.
 */
export function AuthImage({
  src,
  alt,
  className,
  onLoad,
}: {
  src: string;
  alt: string;
  className?: string;
  onLoad?: (img: HTMLImageElement) => void;
}) {
  const [url, setUrl] = useState<string>();
  const [failed, setFailed] = useState<string>();
  useEffect(() => {
    let live = true;
    let made: string | undefined;
    setFailed(undefined);
    apiFetch(src, { headers: { accept: 'image/png, image/jpeg;q=0.9' } })
      .then((res) => res.blob())
      .then(
        (blob) => {
          if (!live) return;
          made = URL.createObjectURL(blob);
          setUrl(made);
        },
        (e: Error) => live && setFailed(e.message),
      );
    return () => {
      live = false;
      if (made) setTimeout(() => URL.revokeObjectURL(made!), 1000);
    };
  }, [src]);
  if (failed)
    return (
      <div
        className={`no-preview ${className ?? ''}`}
        role="img"
        aria-label={alt ? `${alt}: no preview` : 'no preview'}
        title={failed}
      >
        no preview
      </div>
    );
  if (!url) return <div className={`no-preview loading ${className ?? ''}`} aria-busy="true" />;
  return <img src={url} alt={alt} className={className} onLoad={(e) => onLoad?.(e.currentTarget)} />;
}
