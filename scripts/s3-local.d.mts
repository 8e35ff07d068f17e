export interface S3LocalInfo {
  s3Endpoint: string;
  s3Bucket: string;
  s3Region: string;
}
export function startS3Local(options: { appUrl: string; port?: number; bucket?: string }): Promise<{
  info: S3LocalInfo;
  allowKey(accessKeyId: string, secretAccessKey: string): void;
  stop: () => Promise<void>;
}>;
