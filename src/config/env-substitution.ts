/**
 * `${VAR}` substitution on parsed string scalars (never on raw text, so a variable's value cannot add
 * YAML structure). `$${VAR}` writes a literal `${VAR}`. An unset variable is a problem naming it, the
 * key path and the line; the value itself is never echoed (variables usually hold secrets). An unquoted
 * scalar that was entirely substituted is re-typed as YAML would type it (`port: ${PORT}` is a number).
 * Pure: the environment is passed in.
 */
import type { ProblemList } from './config-error.ts';
import type { ScalarValue, SourceNode, SourceScalar } from './yaml-source.ts';

const REFERENCE = /\$\$\{|\$\{([^}]*)\}?/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Substitutes every string scalar of the tree in place (scalars with references are replaced) and returns it. */
export function substituteEnv(node: SourceNode, env: NodeJS.ProcessEnv, problems: ProblemList): SourceNode {
  switch (node.kind) {
    case 'map':
      for (const entry of node.entries.values()) entry.value = substituteEnv(entry.value, env, problems);
      return node;
    case 'seq':
      node.items = node.items.map((item) => substituteEnv(item, env, problems));
      return node;
    case 'scalar':
      return typeof node.value === 'string' && node.value.includes('$') ? substituteScalar(node, node.value, env, problems) : node;
  }
}

function substituteScalar(node: SourceScalar, text: string, env: NodeJS.ProcessEnv, problems: ProblemList): SourceScalar {
  let changed = false;
  let hasUnsetVariable = false;
  const out = text.replace(REFERENCE, (match: string, name: string | undefined) => {
    changed = true;
    if (match === '$${') return '${';
    if (name === undefined || !match.endsWith('}') || !NAME.test(name)) {
      problems.add({
        file: node.file,
        keyPath: node.path,
        line: node.line,
        message: `invalid variable reference ${JSON.stringify(match)}: expected \${NAME} with a name of letters, digits and underscores (write $\${ for a literal \${)`,
      });
      return match;
    }
    const value = env[name];
    if (value === undefined) {
      problems.add({ file: node.file, keyPath: node.path, line: node.line, message: `environment variable ${name} is not set` });
      hasUnsetVariable = true;
      return '';
    }
    return value;
  });
  if (!changed) return node;
  const substituted: SourceScalar = { ...node, value: node.isPlain ? retypePlain(out) : out, source: out };
  if (hasUnsetVariable) substituted.hasUnsetVariable = true;
  return substituted;
}

/** YAML 1.2 core-schema typing of an unquoted scalar: booleans and numbers; anything else stays a string. */
function retypePlain(text: string): ScalarValue {
  if (/^(?:true|True|TRUE)$/.test(text)) return true;
  if (/^(?:false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?\d+$/.test(text)) return Number(text);
  if (/^[-+]?(?:\.\d+|\d+(?:\.\d*)?)(?:[eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}
