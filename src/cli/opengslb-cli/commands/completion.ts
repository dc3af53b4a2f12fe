/**
 * `completion [bash|zsh|fish|powershell]`: a shell completion script generated from the command
 * tree itself, so it cannot drift from the commands. Completes sub-commands and flags.
 */
import type { Command, Option } from 'commander';
import { UsageError } from '../cli-error.ts';
import type { CliContext } from '../context.ts';

const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;
type Shell = (typeof SHELLS)[number];

interface Node {
  /** Space-joined path below the program: '' for the top, 'servers list', ... */
  path: string;
  subcommands: string[];
  flags: string[];
}

function flagsOf(options: readonly Option[]): string[] {
  return options.flatMap((o) => [o.long, o.short].filter((f): f is string => typeof f === 'string'));
}

function treeOf(program: Command): Node[] {
  const nodes: Node[] = [];
  const globals = [...flagsOf(program.options), '--help'];
  const walk = (cmd: Command, path: string) => {
    const subs = cmd.commands.filter((c) => c.name() !== 'help');
    nodes.push({ path, subcommands: subs.map((c) => c.name()), flags: [...new Set([...flagsOf(cmd.options), ...globals])] });
    for (const sub of subs) walk(sub, path === '' ? sub.name() : `${path} ${sub.name()}`);
  };
  walk(program, '');
  return nodes;
}

function bashScript(name: string, nodes: Node[]): string {
  const fn = `_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
  const cases = nodes.map((n) => `    "${n.path}") words="${[...n.subcommands, ...n.flags].join(' ')}" ;;`).join('\n');
  const known = nodes.filter((n) => n.path !== '').map((n) => n.path);
  return `# ${name} bash completion: source <(${name} completion bash)
${fn}() {
  local cur path="" candidate words i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    [[ "\${COMP_WORDS[i]}" == -* ]] && continue
    if [[ -z "$path" ]]; then candidate="\${COMP_WORDS[i]}"; else candidate="$path \${COMP_WORDS[i]}"; fi
    case "$candidate" in
      ${known.map((k) => `"${k}"`).join('|')}) path="$candidate" ;;
    esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F ${fn} ${name}
`;
}

function fishScript(name: string, nodes: Node[]): string {
  const lines = [`# ${name} fish completion: ${name} completion fish | source`, `complete -c ${name} -f`];
  for (const n of nodes) {
    const parts = n.path === '' ? [] : n.path.split(' ');
    const cond =
      parts.length === 0
        ? '__fish_use_subcommand'
        : `__fish_seen_subcommand_from ${parts.at(-1)}${parts.length > 1 ? `; and __fish_seen_subcommand_from ${parts[0]}` : ''}`;
    if (n.subcommands.length > 0) lines.push(`complete -c ${name} -n '${cond}' -a '${n.subcommands.join(' ')}'`);
  }
  const top = nodes.find((n) => n.path === '')!;
  for (const f of top.flags.filter((f) => f.startsWith('--'))) lines.push(`complete -c ${name} -l ${f.slice(2)}`);
  return `${lines.join('\n')}\n`;
}

function powershellScript(name: string, nodes: Node[]): string {
  const table = nodes.map((n) => `    '${n.path}' = @(${[...n.subcommands, ...n.flags].map((w) => `'${w}'`).join(', ')})`).join('\n');
  return `# ${name} PowerShell completion: ${name} completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName '${name}' -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $words = @{
${table}
  }
  $path = ''
  foreach ($element in $commandAst.CommandElements | Select-Object -Skip 1) {
    $text = $element.ToString()
    if ($text -eq $wordToComplete -or $text.StartsWith('-')) { continue }
    $candidate = if ($path -eq '') { $text } else { "$path $text" }
    if ($words.ContainsKey($candidate)) { $path = $candidate }
  }
  $words[$path] | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {
    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
  }
}
`;
}

export function completionScript(program: Command, shell: Shell): string {
  const name = program.name();
  const nodes = treeOf(program);
  switch (shell) {
    case 'bash':
      return bashScript(name, nodes);
    case 'zsh':
      return `# ${name} zsh completion: source <(${name} completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(name, nodes)}`;
    case 'fish':
      return fishScript(name, nodes);
    case 'powershell':
      return powershellScript(name, nodes);
  }
}

export function registerCompletion(program: Command, ctxOf: (cmd: Command) => CliContext): void {
  program
    .command('completion')
    .description(`print a shell completion script (${SHELLS.join(', ')})`)
    .argument('[shell]', 'shell', 'bash')
    .action((shell: string, _opts: unknown, cmd: Command) => {
      const ctx = ctxOf(cmd);
      if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`completion: expected one of ${SHELLS.join(', ')}, got ${JSON.stringify(shell)}`);
      ctx.out(completionScript(program, shell as Shell));
    });
}
