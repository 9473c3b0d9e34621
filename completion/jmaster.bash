# bash completion for jmaster's master (jmaster(8)): options, commands, -c DIR.
# The Debian package installs it as /usr/share/bash-completion/completions/jmaster. In a source tree,
# source it: . completion/jmaster.bash (the tarball: . share/bash-completion/completions/jmaster);
# then ./master completes too.

_jmaster() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} word command= i
    COMPREPLY=()
    case $prev in
        -c)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -d -- "$cur")
            return 0
            ;;
        -e)
            return 0  # seconds
            ;;
    esac
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        case $word in
            status|children|reload|stop|abort|check) command=$word ;;
        esac
    done
    if [[ -n $command ]]; then
        case $command in
            status|children) mapfile -t COMPREPLY < <(compgen -W "--json" -- "$cur") ;;
        esac
        return 0
    fi
    if [[ $cur == -* ]]; then
        local options="-c -D -d -e -i -s -t -v -w --check -h --help --version"
        ((COMP_CWORD == 1)) && options="$options --build"
        mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
    else
        mapfile -t COMPREPLY < <(compgen -W "status children reload stop abort check" -- "$cur")
    fi
    return 0
}
complete -F _jmaster jmaster master
