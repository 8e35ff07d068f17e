/** A QR code drawn on the server (`qrDataUrl`), shown as it is. */
export function QrImage({ src, testId }: { src: string; testId?: string }) {
  // biome-ignore lint/performance/noImgElement: a data: URL of a small SVG; next/image has nothing to fetch or resize
  return <img className="qr" src={src} alt="QR code for your authenticator app" data-testid={testId} />;
}
