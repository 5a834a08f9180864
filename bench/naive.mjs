// The competitor a user would write in five minutes: readline + one regex per line,
// counting failures by upstream host (same question as the awk line).
import readline from 'node:readline';
import fs from 'node:fs';

const re = /^\[([^\]]+)\] "(\S+) (\S+) (\S+)" (\d+) (\S+) (\S+) (\d+) (\d+) (\d+) (\S+) "([^"]*)" "([^"]*)" "([^"]*)" "([^"]*)" "([^"]*)"/;
const counts = new Map();
const rl = readline.createInterface({ input: fs.createReadStream(process.argv[2]), crlfDelay: Infinity });
for await (const line of rl) {
  const m = re.exec(line);
  if (m && m[6] !== '-') counts.set(m[16], (counts.get(m[16]) ?? 0) + 1);
}
console.log(counts.size);
