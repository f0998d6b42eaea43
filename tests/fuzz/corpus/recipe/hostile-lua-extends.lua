-- hostile: a Lua recipe whose extends leaves its tree
-- setup: printf 'prompt: "the secret next door"\n' > ../secret.yaml
-- exit: 2
-- stderr: lua-extends.lua:6: extends: "../secret.yaml": must be inside the recipe's tree ({TREE}); --trust lifts this
-- stderr: hh: lua-extends.lua: 1 problem; nothing was sent
recipe { extends = "../secret.yaml", prompt = "a fox" }
