/** Process entry of the `opengslb` bin: run main() and turn its result into the exit code. */
import { main } from './main.ts';

const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
