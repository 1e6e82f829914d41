/** Offers text as a file download, without a server round trip. */
export function download(filename: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  // The click has started the download synchronously; the URL is no longer needed after this task.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
