import path from 'node:path';
import type { Config } from '../config.js';
import { FsMediaStore } from './fs-store.js';
import type { MediaStore } from './store.js';

/** The media directory of the filesystem store. */
export function mediaDir(dataDir: string): string {
  return path.join(dataDir, 'media');
}

/**
 * The media store the settings name: files under WUTS_DATA_DIR/media, or the S3 bucket (the AWS
 * SDK is loaded only then).
 */
export async function openMediaStore(config: Pick<Config, 'dataDir' | 'mediaStore'>): Promise<MediaStore> {
  const settings = config.mediaStore;
  if (settings.kind === 'fs') return FsMediaStore.open(mediaDir(config.dataDir));
  const { S3MediaStore } = await import('./s3-store.js');
  const { kind: _kind, ...options } = settings;
  return new S3MediaStore(options);
}
