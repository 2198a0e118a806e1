/** Command-line options for the example scripts: `--name value`, `--name=value`, or an environment variable. */

export function option(name: string, env: string): string | undefined {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === `--${name}`) return args[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return process.env[env];
}

/** A numeric option (Infinity allowed); `program` names the script in the error. */
export function numberOption(program: string, name: string, env: string, fallback: number): number {
  const raw = option(name, env);
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (Number.isNaN(v)) throw new Error(`${program}: --${name} must be a number, got '${raw}'`);
  return v;
}
