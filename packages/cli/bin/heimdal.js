#!/usr/bin/env node
import { main } from "../dist/main.js";

// A reader that stops early (`heimdal analyze … | head`) is not an error: drop further
// output and let the command finish (and clean up) normally.
process.stdout.on("error", (error) => {
  if (error.code !== "EPIPE") throw error;
  process.stdout.write = () => true;
});

process.exitCode = await main(process.argv.slice(2));
