#!/usr/bin/env bash
# hh-sim checks every documented field rule of POST /api/generate: one bad
# request per rule, its status and its exact message; nothing is billed.
. "$(dirname "$0")/lib.sh"
start_sim --time-scale 0.001

long=$(head -c 2501 /dev/zero | tr '\0' 'a')
max=$(head -c 2500 /dev/zero | tr '\0' 'a')

# expect_400 JSON FIELD MESSAGE
expect_400() {
    api_post "$1"
    is "$CODE" 400 "400 for: $3"
    is "$(jqv "$BODY" .error.message)" "$3" "message: $3"
    is "$(jqv "$BODY" .error.field)" "$2" "field named: $2"
}

expect_400 '[1,2]' body 'body: must be a JSON object'
expect_400 '{"prompt":"x"' body 'body: not valid JSON (line 1, column 13: '"'"'}'"'"' expected near end of file)'
expect_400 '{"prompt":"a horse"}' model 'model: is required'
expect_400 '{"model":"happyhorse-2.0/video","prompt":"a"}' model 'model: must be "happyhorse-1.0/video"'
expect_400 '{"model":7,"prompt":"a"}' model 'model: must be "happyhorse-1.0/video"'
expect_400 "{$GEN}" prompt 'prompt: is required unless multi_shots is true'
expect_400 "{$GEN,\"prompt\":\"\"}" prompt 'prompt: must not be empty'
expect_400 "{$GEN,\"prompt\":42}" prompt 'prompt: must be a string'
expect_400 "{$GEN,\"prompt\":\"$long\"}" prompt 'prompt: must be at most 2500 characters (got 2501)'
expect_400 "{$GEN,\"prompt\":\"a\",\"mode\":\"fast\"}" mode 'mode: must be "std" or "pro"'
expect_400 "{$GEN,\"prompt\":\"a\",\"duration\":2}" duration 'duration: must be a whole number of seconds from 3 to 15'
expect_400 "{$GEN,\"prompt\":\"a\",\"duration\":16}" duration 'duration: must be a whole number of seconds from 3 to 15'
expect_400 "{$GEN,\"prompt\":\"a\",\"duration\":5.5}" duration 'duration: must be a whole number of seconds from 3 to 15'
expect_400 "{$GEN,\"prompt\":\"a\",\"duration\":\"5\"}" duration 'duration: must be a whole number of seconds from 3 to 15'
expect_400 "{$GEN,\"prompt\":\"a\",\"aspect_ratio\":\"4:3\"}" aspect_ratio 'aspect_ratio: must be one of "16:9", "9:16", "1:1"'
expect_400 "{$GEN,\"prompt\":\"a\",\"resolution\":\"4k\"}" resolution 'resolution: must be "720p" or "1080p"'
expect_400 "{$GEN,\"prompt\":\"a\",\"resolution\":720}" resolution 'resolution: must be "720p" or "1080p"'
expect_400 "{$GEN,\"prompt\":\"a\",\"sound\":\"yes\"}" sound 'sound: must be true or false'
expect_400 "{$GEN,\"prompt\":\"a\",\"cfg_scale\":1.5}" cfg_scale 'cfg_scale: must be a number from 0 to 1'
expect_400 "{$GEN,\"prompt\":\"a\",\"cfg_scale\":-0.1}" cfg_scale 'cfg_scale: must be a number from 0 to 1'
expect_400 "{$GEN,\"prompt\":\"a\",\"image_urls\":\"http://x/a.png\"}" image_urls 'image_urls: must be an array of URL strings'
expect_400 "{$GEN,\"prompt\":\"a\",\"image_urls\":[\"file:///etc/passwd\"]}" 'image_urls[0]' 'image_urls[0]: must be an http or https URL'
expect_400 "{$GEN,\"prompt\":\"a\",\"image_urls\":[\"https://x/1.png\",\"https://x/2.png\",\"https://x/3.png\"]}" image_urls 'image_urls: at most 2 images (first and last frame) for a single shot'
expect_400 "{$GEN,\"multi_shots\":\"yes\",\"prompt\":\"a\"}" multi_shots 'multi_shots: must be true or false'
expect_400 "{$GEN,\"multi_shots\":true}" multi_prompt 'multi_prompt: is required when multi_shots is true'
expect_400 "{$GEN,\"multi_shots\":true,\"multi_prompt\":[]}" multi_prompt 'multi_prompt: must be a non-empty array of shots'
expect_400 "{$GEN,\"multi_shots\":true,\"multi_prompt\":[\"a\"]}" 'multi_prompt[0]' 'multi_prompt[0]: must be an object with a prompt'
expect_400 "{$GEN,\"multi_shots\":true,\"multi_prompt\":[{\"duration\":3}]}" 'multi_prompt[0].prompt' 'multi_prompt[0].prompt: is required'
expect_400 "{$GEN,\"multi_shots\":true,\"multi_prompt\":[{\"prompt\":\"a\"},{\"prompt\":\"$long\"}]}" 'multi_prompt[1].prompt' 'multi_prompt[1].prompt: must be at most 2500 characters (got 2501)'
expect_400 "{$GEN,\"multi_shots\":true,\"multi_prompt\":[{\"prompt\":\"a\",\"duration\":0}]}" 'multi_prompt[0].duration' 'multi_prompt[0].duration: must be a whole number of seconds from 1 to 15'
expect_400 "{$GEN,\"multi_shots\":true,\"multi_prompt\":[{\"prompt\":\"a\",\"duration\":3},{\"prompt\":\"b\"}]}" 'multi_prompt[1].duration' 'multi_prompt[1].duration: give a duration for every shot or for none'
expect_400 "{$GEN,\"multi_shots\":true,\"multi_prompt\":[{\"prompt\":\"a\",\"duration\":8},{\"prompt\":\"b\",\"duration\":9}]}" multi_prompt 'multi_prompt: shot durations add up to 17 s; the total must be from 3 to 15 s'
expect_400 "{$GEN,\"multi_shots\":true,\"duration\":10,\"multi_prompt\":[{\"prompt\":\"a\",\"duration\":4},{\"prompt\":\"b\",\"duration\":5}]}" duration 'duration: must equal the sum of the shot durations (9 s) or be left out'
expect_400 "{$GEN,\"multi_shots\":true,\"duration\":3,\"multi_prompt\":[{\"prompt\":\"a\"},{\"prompt\":\"b\"},{\"prompt\":\"c\"},{\"prompt\":\"d\"}]}" multi_prompt 'multi_prompt: 4 shots do not fit in 3 s (each needs at least 1 s)'
expect_400 "{$GEN,\"multi_shots\":true,\"image_urls\":[\"https://x/1.png\",\"https://x/2.png\"],\"multi_prompt\":[{\"prompt\":\"a\"}]}" image_urls 'image_urls: at most 1 image (the first frame) when multi_shots is true'

api_post "{$GEN,\"prompt\":\"a\",\"prompt\":\"b\"}"
is "$CODE" 400 "duplicate keys in the body are refused"

# Valid edge cases are accepted.
api_post "{$GEN,\"prompt\":\"$max\",\"duration\":15.0,\"cfg_scale\":0,\"mode\":\"pro\",\"aspect_ratio\":\"1:1\",\"sound\":false}"
is "$CODE" 200 "2500 characters, duration 15.0, cfg_scale 0 are accepted"
api_post "{$GEN,\"prompt\":\"a\",\"resolution\":\"1080P\"}"
is "$CODE" 200 "resolution 1080P (DashScope's spelling) is accepted"
api_post "{$GEN,\"prompt\":\"a\",\"duration\":3,\"cfg_scale\":1,\"seed\":42,\"negative_prompt\":\"x\",\"image_urls\":[\"https://x/1.png\",\"http://x/2.png\"]}"
is "$CODE" 200 "unknown fields (seed, negative_prompt) are ignored; two images for a single shot"
api_post "{$GEN,\"multi_shots\":true,\"image_urls\":[\"https://x/1.png\"],\"multi_prompt\":[{\"prompt\":\"a\",\"duration\":7},{\"prompt\":\"b\",\"duration\":8}]}"
is "$CODE" 200 "multi-shot totalling 15 s with one first-frame image"
api_post "{$GEN,\"prompt\":\"$(printf 'é%.0s' $(seq 2500))\"}"
is "$CODE" 200 "the prompt limit counts characters, not bytes"

stats=$(sim_stats)
is "$(jqv "$stats" .accepted)" 5 "only the five valid requests were accepted"
is "$(jqv "$stats" '.requests.generate["400"]')" 36 "every refusal is in the request ledger"
is "$(jqv "$stats" .credits.charged)" "$((54 * 15 + 60 * 5 + 60 * 3 + 60 * 15 + 60 * 5))" "credits charged only for accepted jobs"
done_testing
