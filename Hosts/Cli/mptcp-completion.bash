# Tab completion of the mptcp command for bash (zsh: `autoload -U bashcompinit && bashcompinit` first).
# Source it from ~/.bashrc:  source /path/to/Hosts/Cli/mptcp-completion.bash
# The mptcp program itself answers, through System.CommandLine's [suggest] directive: commands, flags, flag values.
_mptcp_complete() {
    local IFS=$'\n'
    COMPREPLY=($("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null))
}
complete -o default -F _mptcp_complete mptcp
