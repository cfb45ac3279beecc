export default async function globalTeardown(): Promise<void> {
  await globalThis.__ENSEMBLE_BROKER__?.stop();
  globalThis.__ENSEMBLE_BROKER__ = undefined;
}
