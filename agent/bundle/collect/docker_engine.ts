// The engine itself: `docker info`, `docker version` and the image list.
import type { Collector } from './types.ts';

export const dockerEngine: Collector = {
  name: 'docker_engine',
  timeoutMs: 30_000,
  async collect(ctx) {
    const local = new Date();
    const info = (await ctx.docker.info()) as { SystemTime?: string };
    await ctx.emit('docker/info.json', { json: info });
    // Skew is only meaningful when the engine is reached over the network (DOCKER_HOST=tcp://...).
    if (info.SystemTime) ctx.facts.engineTime = { engine: new Date(info.SystemTime), local };
    await ctx.emit('docker/version.json', { json: await ctx.docker.version() });
    const images = await ctx.docker.listImages({ all: false, abortSignal: ctx.signal });
    await ctx.emit('docker/images.json', { json: images });
  },
};
