"""Any causal LM as a policy (`lmrl_algos.hf_policy`): prompts with and without a chat template, actions cut at the
first newline (checked against transformers' own generate), episodes independent of the batch size."""

import pytest
import torch

import lmrl_envs
from lmrl_algos.hf_policy import load_hf_policy, stop_token_ids
from lmrl_algos.models import build_tiny_model, build_tiny_tokenizer
from lmrl_envs import Text, chat_messages

TEMPLATE = ("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}</s>{% endfor %}"
            "{% if add_generation_prompt %}<assistant>{% endif %}")
HISTORY = (Text("Count:\n", False), Text("up\n", True), Text("ok\n", False))


def _save_model(path, chat: bool):
    tok = build_tiny_tokenizer(["Count:\n", "up\n", "down\n", "ok\n", "no\n", "<user><assistant></s>"], vocab_size=300)
    if chat:
        tok.chat_template = TEMPLATE
    build_tiny_model(tok, n_layer=1, n_embd=32, n_head=2, seed=3).save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture(scope="module", params=[False, True], ids=["raw", "chat"])
def hf_dir(request, tmp_path_factory):
    return _save_model(tmp_path_factory.mktemp("hf") / "model", chat=request.param), request.param


def test_prompts_with_and_without_a_chat_template(tmp_path):
    assert chat_messages(HISTORY) == [{"role": "user", "content": "Count:"}, {"role": "assistant", "content": "up"},
                                      {"role": "user", "content": "ok"}]
    chat = load_hf_policy(str(_save_model(tmp_path / "chat", chat=True)), "cpu")
    raw = load_hf_policy(str(_save_model(tmp_path / "raw", chat=False)), "cpu")
    assert chat.prompt_text(HISTORY) == "<user>Count:</s><assistant>up</s><user>ok</s><assistant>"
    assert raw.prompt_text(HISTORY) == "Count:\nup\nok\n"
    assert raw.tok.decode(raw.prompt_ids(HISTORY)) == "Count:\nup\nok\n"
    assert (chat.chat, raw.chat, chat.greedy, chat.temperature, chat.rerank) == (True, False, False, 1.0, False)


def test_stop_tokens_are_the_newline_tokens_and_eos(hf_dir):
    policy = load_hf_policy(str(hf_dir[0]), "cpu")
    texts = {policy.tok.decode([i]) for i in policy.stop_ids}
    assert all("\n" in t for t in texts - {policy.tok.eos_token})
    assert policy.tok.eos_token_id in policy.stop_ids and policy.tok.encode("\n")[0] in policy.stop_ids
    assert stop_token_ids(policy.tok) == sorted(policy.stop_ids)


def test_greedy_action_is_transformers_generate_cut_at_the_first_newline(hf_dir):
    path, _ = hf_dir
    policy = load_hf_policy(str(path), "cpu", greedy=True, max_new_tokens=12)
    histories = [HISTORY[:1], HISTORY]
    actions = policy.act(histories, [0, 1])
    lm = policy.model.lm
    for history, action in zip(histories, actions, strict=True):
        ids = torch.tensor([policy.prompt_ids(history)])
        out = lm.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=12, do_sample=False,
                          eos_token_id=sorted(policy.stop_ids), pad_token_id=policy.tok.pad_token_id)
        text = policy.tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True)
        assert action == text.split("\n", 1)[0] + "\n"
        assert action.endswith("\n") and action.count("\n") == 1


def test_sampled_episodes_do_not_depend_on_the_batch_size(hf_dir):
    path, _ = hf_dir
    runs = []
    for n_envs in (1, 3):
        policy = load_hf_policy(str(path), "cpu", seed=5, max_new_tokens=6)
        runs.append(lmrl_envs.rollout([lmrl_envs.make("maze-fo") for _ in range(n_envs)], policy, 3, seed=0))
    assert [e.texts for e in runs[0]] == [e.texts for e in runs[1]]
    assert all(a.count("\n") == 1 for e in runs[0] for a, is_a in zip(e.texts, e.is_action, strict=True) if is_a)
