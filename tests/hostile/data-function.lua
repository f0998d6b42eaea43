-- hostile: a function where a value belongs (only after may be one): refused with its place
-- exit: 2
-- stderr: {FILE}:5: multi_prompt[0].prompt: is a function; a recipe's values are strings, numbers, booleans, lists and mappings
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{multi_shots = true, multi_prompt = { { prompt = function() while true do end end } }}
