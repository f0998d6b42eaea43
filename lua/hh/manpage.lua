-- hh.manpage: the man page (roff) and shell completion (bash, zsh), made
-- from the same help texts `hh help` prints — the commands and their option
-- tables — so the three never disagree. `hh help --man`, `hh help
-- --completion bash|zsh`; `make install` writes them out.

local M = {}

-- A command's long and short options, from its help text's option lines.
function M.options(text)
  local list = {}
  for line in (text or ""):gmatch("[^\n]+") do
    local short, long = line:match("^%s+%-(%a), %-%-([%w%-]+)")
    if not long then long = line:match("^%s+%-%-([%w%-]+)") end
    if long then list[#list + 1] = "--" .. long end
    if short then list[#list + 1] = "-" .. short end
  end
  return list
end

local function sorted_names(commands)
  local names = {}
  for name in pairs(commands) do names[#names + 1] = name end
  names[#names + 1] = "help"
  table.sort(names)
  return names
end

-- Text as roff takes it: backslashes doubled, a leading dot or quote kept
-- from being a request, dashes as minus signs.
local function roff(s)
  s = s:gsub("\\", "\\e"):gsub("%-", "\\-")
  return (s:gsub("\n([.'])", "\n\\&%1"):gsub("^([.'])", "\\&%1"))
end

function M.man(help, commands, version)
  local out = {
    string.format('.TH HH 1 "" "hh %s" "User Commands"', version or ""),
    ".SH NAME",
    "hh \\- script the HappyHorse video API: recipes, sweeps, A/B judging, durable runs",
    ".SH SYNOPSIS",
    ".nf", roff(help.main:match("^(.-)\n\n") or help.main), ".fi",
    ".SH DESCRIPTION",
    "hh runs recipes (YAML or Lua) against the HappyHorse API: it checks them without network, plans and",
    "prices them, submits every job once, polls, downloads and checks each clip, journals every step so a",
    "crash or Ctrl\\-C loses nothing paid for, and writes a report to judge the results in a browser.",
    ".SH COMMANDS",
  }
  for _, name in ipairs(sorted_names(commands)) do
    local text = help[name]
    if text and name ~= "help" then
      out[#out + 1] = ".SS " .. name
      out[#out + 1] = ".nf"
      out[#out + 1] = roff(text)
      out[#out + 1] = ".fi"
    end
  end
  out[#out + 1] = ".SH ENVIRONMENT AND EXIT STATUS"
  out[#out + 1] = ".nf"
  out[#out + 1] = roff(help.main:match("\n\n(Environment:.*)$") or "")
  out[#out + 1] = ".fi"
  out[#out + 1] = ".SH SEE ALSO"
  out[#out + 1] = "The documents installed with hh (share/doc/hh): recipes.md, cli.md, runs.md, report.md, checks.md, lua\\-api.md."
  return table.concat(out, "\n") .. "\n"
end

-- bash: commands first, then the options of the command on the line, then
-- file names. zsh loads the same function through bashcompinit.
function M.completion(shell, help, commands)
  local names = sorted_names(commands)
  local cases = {}
  for _, name in ipairs(names) do
    local opts = M.options(help[name])
    if #opts > 0 then cases[#cases + 1] = string.format("        %s) opts=%q ;;", name, table.concat(opts, " ")) end
  end
  local body = table.concat({
    "# hh completion (made by hh help --completion " .. shell .. ")",
    "_hh() {",
    "    local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]} opts=",
    "    if [ \"$COMP_CWORD\" -eq 1 ]; then",
    string.format("        COMPREPLY=($(compgen -W %q -- \"$cur\"))", table.concat(names, " ")),
    "        return",
    "    fi",
    "    case $cmd in",
    table.concat(cases, "\n"),
    "        help) opts=" .. string.format("%q", table.concat(names, " ")) .. " ;;",
    "    esac",
    "    if [[ $cur == -* || $cmd == help ]]; then",
    "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))",
    "    else",
    "        COMPREPLY=($(compgen -f -- \"$cur\"))",
    "    fi",
    "}",
    "complete -o filenames -F _hh hh",
  }, "\n")
  if shell == "zsh" then
    return "#compdef hh\nautoload -U +X bashcompinit && bashcompinit\n" .. body .. "\n"
  end
  return body .. "\n"
end

return M
