// The README's quick start, runnable from a checkout: node --import tsx examples/quickstart.mts
import { createScratchpad } from '../src/index.js';

const sp = createScratchpad({ sessionId: 'alice' });
await sp.ready;

await sp.write('research', 'findings', 'CRLF lines are dropped by the parser.', { agent: 'researcher' });
const result = await sp.write('research', 'findings', 'Only on Windows.', { mode: 'append', agent: 'reviewer' });
console.log(result.message);
// Wrote to 'research.findings' (mode: append)
//
// ```diff
// @@ -1,1 +1,2 @@
// -CRLF lines are dropped by the parser.
// \ No newline at end of file
// +CRLF lines are dropped by the parser.
// +Only on Windows.
// \ No newline at end of file
// ```

await sp.edit('research', 'findings', { oldText: 'Only on Windows.', newText: 'Only on Windows, since v2.' }, { agent: 'researcher' });
console.log(sp.lines('research', 'findings'));          // numbered lines, for a model that edits by line
console.log((await sp.history({ agent: 'reviewer' })).length); // 1
console.log(await sp.contentAt('research', 'findings', 1));     // the first version
console.log((await sp.diff('research', 'findings', 1)).text);   // unified diff, applies with GNU patch
console.log(await sp.blame('research', 'findings'));            // who wrote each line
await sp.revert('research', 'findings', 1, { agent: 'reviewer' }); // a new version; history is kept
console.log(sp.render());                                       // all pads as Markdown
