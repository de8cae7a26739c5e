import { Argument, Command, InvalidArgumentError } from 'commander'
import type { CliIo } from '../io.js'
import { examples } from '../options.js'

interface Node {
  name: string
  description: string
  options: string[]
  children: Node[]
}

/** The command tree as completion needs it: names, descriptions, long options. */
function tree(command: Command): Node {
  return {
    name: command.name(),
    description: command.description().split('\n')[0] ?? '',
    options: [...command.options.map((o) => o.long).filter((l): l is string => l !== undefined), '--help'],
    children: command.commands.map(tree),
  }
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`

/** A bash completion script: commands, then subcommands, then each command's options. */
export function bashCompletion(program: Command): string {
  const root = tree(program)
  const leaf = (node: Node, indent: string) => `${indent}words=${quote(node.options.join(' '))}`
  const cases = root.children
    .map((child) => {
      if (child.children.length === 0) return `    ${child.name}) ${leaf(child, '').trim()} ;;`
      const subs = child.children.map((sub) => `          ${sub.name}) ${leaf(sub, '').trim()} ;;`).join('\n')
      return `    ${child.name})\n      if [ "$COMP_CWORD" -eq 2 ]; then words=${quote(child.children.map((c) => c.name).join(' '))}\n      else\n        case "\${COMP_WORDS[2]}" in\n${subs}\n        esac\n      fi ;;`
    })
    .join('\n')
  return `# bash completion for scopeward: source it, or save it as /etc/bash_completion.d/scopeward
_scopeward() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" words=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    words=${quote(root.children.map((c) => c.name).join(' '))}
  else
    case "\${COMP_WORDS[1]}" in
${cases}
    esac
  fi
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -o default -F _scopeward scopeward
`
}

/** A zsh completion script: commands and subcommands with their descriptions, then options. */
export function zshCompletion(program: Command): string {
  const root = tree(program)
  const described = (nodes: Node[]) => `(${nodes.map((n) => quote(`${n.name.replace(/:/g, '\\:')}:${n.description}`)).join(' ')})`
  const cases = root.children
    .map((child) => {
      if (child.children.length === 0) return `    ${child.name}) compadd -- ${child.options.join(' ')} ;;`
      const subs = child.children.map((sub) => `        ${sub.name}) compadd -- ${sub.options.join(' ')} ;;`).join('\n')
      return `    ${child.name})\n      if (( CURRENT == 3 )); then\n        local -a subcommands=${described(child.children)}\n        _describe 'subcommand' subcommands\n      else\n        case $words[3] in\n${subs}\n        esac\n      fi ;;`
    })
    .join('\n')
  return `#compdef scopeward
# zsh completion for scopeward: save it as _scopeward in a directory of $fpath, or eval "$(scopeward completion zsh)"
_scopeward() {
  if (( CURRENT == 2 )); then
    local -a commands=${described(root.children)}
    _describe 'command' commands
    return
  fi
  case $words[2] in
${cases}
  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _scopeward "$@"; else compdef _scopeward scopeward; fi
`
}

/** `scopeward completion bash|zsh`: prints the script for the shell. */
export function completionCommand(io: CliIo, program: () => Command): Command {
  return examples(new Command('completion').description('print a shell completion script').addArgument(choiceArgument()), [
    'source <(scopeward completion bash)',
    'scopeward completion zsh > "${fpath[1]}/_scopeward"',
  ]).action((shell: 'bash' | 'zsh') => {
    io.stdout.write(shell === 'bash' ? bashCompletion(program()) : zshCompletion(program()))
  })
}

/** The shell, matched case-insensitively like every choice. */
function choiceArgument(): Argument {
  return new Argument('<shell>', 'the shell').choices(['bash', 'zsh']).argParser((value: string) => {
    const shell = value.toLowerCase()
    if (shell !== 'bash' && shell !== 'zsh') throw new InvalidArgumentError('Allowed choices are bash, zsh.')
    return shell
  })
}
