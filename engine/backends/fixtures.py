"""Randomly initialised model directories, built offline from configs (tests and benchmarks).

No weights exist on a build machine and nothing may be downloaded, so the
tests and ``benchmarks/bench_neural.py`` assemble the real pipeline classes
from configs: ``tiny`` (a fraction of a second per window on a CPU) or
``real`` (Stable Audio Open 1.0's exact sizes: the same arithmetic as the
release, random weights). Saved with ``save_pretrained``, then loaded back
through the backends' own loaders, so the real ``from_pretrained`` path runs.
"""

from __future__ import annotations

from pathlib import Path

WORDS = ("rain", "on", "a", "tin", "roof", "distant", "thunder", "wind", "birds", "forest", "music",
         "piano", "calm", "door", "slam", "city", "traffic", "crowd", "room", "tone", "heavy", "light",
         "night", "cafe", "sea", "waves", "footsteps", "beep", "scene", "ambience", "the", "and", "of")

#: Stable Audio Open 1.0 (stabilityai/stable-audio-open-1.0 model_index.json and part configs)
REAL = {
    "transformer": dict(sample_size=1024, in_channels=64, num_layers=24, attention_head_dim=64,
                        num_attention_heads=24, num_key_value_attention_heads=12, out_channels=64,
                        cross_attention_dim=768, time_proj_dim=256, global_states_input_dim=1536,
                        cross_attention_input_dim=768),
    "vae": dict(encoder_hidden_size=128, downsampling_ratios=[2, 4, 4, 8, 8], channel_multiples=[1, 2, 4, 8, 16],
                decoder_channels=128, decoder_input_channels=64, audio_channels=2, sampling_rate=44100),
    "t5": dict(vocab_size=32128, d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12,
               feed_forward_proj="relu", relative_attention_num_buckets=32, relative_attention_max_distance=128),
    "projection": dict(text_encoder_dim=768, conditioning_dim=768, min_value=0, max_value=512),
}


def tiny_config(sampling_rate: int = 100, latent_frames: int = 32) -> dict:
    """A pipeline of a few thousand parameters; its window is latent_frames * 4 / sampling_rate seconds."""
    return {
        "transformer": dict(sample_size=latent_frames, in_channels=4, num_layers=2, attention_head_dim=4,
                            num_attention_heads=2, num_key_value_attention_heads=1, out_channels=4,
                            cross_attention_dim=8, time_proj_dim=8, global_states_input_dim=16,
                            cross_attention_input_dim=8),
        "vae": dict(encoder_hidden_size=4, downsampling_ratios=[2, 2], channel_multiples=[1, 2],
                    decoder_channels=4, decoder_input_channels=4, audio_channels=2, sampling_rate=sampling_rate),
        "t5": dict(vocab_size=64, d_model=8, d_kv=4, d_ff=16, num_layers=1, num_heads=2,
                   feed_forward_proj="relu", relative_attention_num_buckets=8, relative_attention_max_distance=16),
        "projection": dict(text_encoder_dim=8, conditioning_dim=8, min_value=0, max_value=10000),
    }


def word_tokenizer(model_max_length: int = 128, model_input_names: list[str] | None = None):
    """A whitespace word-level tokenizer built with ``tokenizers`` (no hub), as a fast transformers tokenizer."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for word in WORDS:
        vocab.setdefault(word, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                   model_max_length=model_max_length,
                                   model_input_names=model_input_names or ["input_ids", "attention_mask"])


def build_stable_audio_pipeline(config: dict | str = "tiny", seed: int = 0):
    """A StableAudioPipeline with random weights of ``config`` ("tiny", "real" or a dict)."""
    import torch
    from diffusers import (AutoencoderOobleck, CosineDPMSolverMultistepScheduler, StableAudioDiTModel,
                           StableAudioPipeline, StableAudioProjectionModel)
    from transformers import T5Config, T5EncoderModel

    cfg = REAL if config == "real" else tiny_config() if config == "tiny" else config
    torch.manual_seed(seed)
    return StableAudioPipeline(
        vae=AutoencoderOobleck(**cfg["vae"]),
        text_encoder=T5EncoderModel(T5Config(**cfg["t5"])),
        projection_model=StableAudioProjectionModel(**cfg["projection"]),
        tokenizer=word_tokenizer(),
        transformer=StableAudioDiTModel(**cfg["transformer"]),
        scheduler=CosineDPMSolverMultistepScheduler(),
    )


def write_stable_audio_dir(directory: Path | str, config: dict | str = "tiny", seed: int = 0) -> Path:
    """Save a random pipeline as a model directory laid out like the downloaded release."""
    directory = Path(directory)
    build_stable_audio_pipeline(config, seed).save_pretrained(str(directory))
    return directory


# ---------------------------------------------------------------- Dasheng AudioGen (a stand-in snapshot)

DASHENG_TAGS = ("<|caption|>", "<|speech|>", "<|asr|>", "<|sfx|>", "<|music|>", "<|env|>")

_DASHENG_CONFIG_PY = '''
from transformers import PretrainedConfig


class DashengAudioGenConfig(PretrainedConfig):
    model_type = "dasheng_audiogen"

    def __init__(self, vocab_size=64, hidden_size=8, sampling_rate=16000, max_duration=10.0,
                 caption_token_id=3, **kwargs):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.sampling_rate = sampling_rate
        self.max_duration = max_duration
        self.caption_token_id = caption_token_id
        super().__init__(**kwargs)
'''

_DASHENG_MODELING_PY = '''
"""A tiny stand-in following Dasheng AudioGen's published interface (loaded with trust_remote_code):
a tagged prompt in, 16 kHz audio out; prompts that do not begin with <|caption|> are rejected."""
import math

import torch
from torch import nn
from transformers import PreTrainedModel

from .configuration_dasheng_audiogen import DashengAudioGenConfig


class DashengAudioGenModel(PreTrainedModel):
    config_class = DashengAudioGenConfig
    base_model_prefix = "audiogen"
    main_input_name = "input_ids"

    def __init__(self, config):
        super().__init__(config)
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.head = nn.Linear(config.hidden_size, 4)
        self.post_init()

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.data.normal_(0.0, 0.5)

    def forward(self, input_ids, attention_mask=None, duration=None, num_inference_steps=25,
                guidance_scale=5.0, generator=None):
        if not bool((input_ids[:, 0] == self.config.caption_token_id).all()):
            raise ValueError("Dasheng AudioGen prompts must start with <|caption|>")
        duration = float(duration or self.config.max_duration)
        n = int(round(duration * self.config.sampling_rate))
        params = torch.tanh(self.head(self.embed(input_ids).mean(dim=1))).float()
        t = torch.arange(n, dtype=torch.float32) / self.config.sampling_rate
        out = []
        for p in params:
            noise = torch.randn(n, generator=generator)
            x = noise
            target = 0.3 * torch.sin(2 * math.pi * (200 + 150 * p[0]) * t) + 0.2 * (1 + p[1]) * noise
            for _ in range(int(num_inference_steps)):
                x = x + (target - x) / max(1, int(num_inference_steps))
            out.append(x[None])
        return (torch.stack(out).to(self.embed.weight.device),)
'''


def write_dasheng_dir(directory: Path | str, *, max_duration: float = 2.0, seed: int = 0) -> Path:
    """A local snapshot laid out like Dasheng AudioGen's: config with auto_map, its code, weights, tokenizer."""
    import json

    import torch
    from transformers import AutoConfig, AutoModel

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tok = word_tokenizer()
    tok.add_special_tokens({"additional_special_tokens": list(DASHENG_TAGS)})
    tok.save_pretrained(str(directory))
    (directory / "__init__.py").write_text("")
    (directory / "configuration_dasheng_audiogen.py").write_text(_DASHENG_CONFIG_PY)
    (directory / "modeling_dasheng_audiogen.py").write_text(_DASHENG_MODELING_PY)
    config = {
        "model_type": "dasheng_audiogen", "architectures": ["DashengAudioGenModel"],
        "auto_map": {"AutoConfig": "configuration_dasheng_audiogen.DashengAudioGenConfig",
                     "AutoModel": "modeling_dasheng_audiogen.DashengAudioGenModel",
                     "AutoModelForTextToWaveform": "modeling_dasheng_audiogen.DashengAudioGenModel"},
        "vocab_size": len(tok), "hidden_size": 8, "sampling_rate": 16000, "max_duration": max_duration,
        "caption_token_id": tok.convert_tokens_to_ids("<|caption|>"),
    }
    (directory / "config.json").write_text(json.dumps(config, indent=2))
    cfg = AutoConfig.from_pretrained(str(directory), trust_remote_code=True, local_files_only=True)
    torch.manual_seed(seed)
    model = AutoModel.from_config(cfg, trust_remote_code=True)
    model.save_pretrained(str(directory))
    return directory
