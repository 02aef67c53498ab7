/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the app with hot reload and sends the API to a running `eccs up`.
const api = process.env.ECCS_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { "/api": api, "/health": api },
  },
  build: {
    // The dashboard loads its charts (recharts, ~435 kB) as a chunk of their own; the app itself
    // is ~510 kB (~160 kB compressed), React and the router being most of it. Warn above that.
    chunkSizeWarningLimit: 600,
  },
  test: {
    environment: "jsdom",
    globals: true,
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
  },
});
