#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm run build`, or by `npm ci` through `prepare`).
import { main } from "../dist/cli.js";

process.exitCode = await main(process.argv);
