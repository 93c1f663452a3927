import { defineConfig } from 'vite';

// The dashboard is served by WUTS itself at `/` (src/platform/dashboard-routes.ts): everything
// it needs is bundled into dist/ (no CDN, nothing fetched at run time). Routing is by hash
// (`/#/devices`), so the API keeps every path.
export default defineConfig({
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, assetsDir: 'assets', sourcemap: false, chunkSizeWarningLimit: 1000 },
});
