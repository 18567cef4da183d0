/** The QR code of a sign-in link as SVG. qrcode (and pngjs) load on first use (issue 18: the relay's fixed cost). */
export async function qrSvg(url: string): Promise<string> {
	const { default: QRCode } = await import('qrcode');
	return QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}
