#!/usr/bin/python3
"""Builds the tokenizer test fixture under src/test/resources/text/tokenizer/.

The real google/umt5-xxl tokenizer.json cannot be downloaded here, so this script makes a small stand-in with
the same machinery: a SentencePiece Unigram model (nmt_nfkc normalization, byte fallback, the umT5 special-id
layout pad 0 / eos 1 / bos 2 / unk 3) trained on a few multilingual captions, exported to the Hugging Face
tokenizer.json format the way transformers' SpmConverter / T5Converter writes it (Precompiled charsmap +
Replace(" {2,}", " ") normalizer, Metaspace pre-tokenizer, TemplateProcessing "$A </s>", Unigram model).

It then records, for ~39 prompts, the reference cleaning (wan/modules/tokenizers.py: ftfy.fix_text, html.unescape
twice, strip, whitespace collapse) and SentencePiece's ids with </s> appended, truncated and padded to text_len
the way HF does it (padding='max_length', truncation=True, max_length=text_len): cases.json.

ftfy is not packaged for Debian; `fix_text_subset` below re-implements (from ftfy 6's source, by reading) the
steps of ftfy.fix_text that change ordinary prompts: its own HTML unescaping when the text has no '<', terminal
escapes, C1 controls as cp1252, Latin ligatures, full/half-width forms, curly quotes, line breaks, control
characters, NFC. Mojibake repair (fix_encoding) is not reproduced.

Usage (Debian: apt-get install -y python3-sentencepiece python3-protobuf):
    cd /work/main && /usr/bin/python3 tools/tokenizer/make_tokenizer_fixture.py
Deterministic: the trainer runs on one thread with a fixed seed-free corpus order.
"""
import base64
import html
import json
import os
import regex as re  # as wan/modules/tokenizers.py (Unicode \s)
import sys
import tempfile
import unicodedata

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as model_pb2

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'src', 'test', 'resources', 'text', 'tokenizer')
TEXT_LEN = 32  # short, so several prompts are truncated (Wan uses 512)

SUBJECTS = ['a red fox', 'an old man', 'a small robot', 'two cats', 'a golden retriever', 'a young woman',
            'a blue car', 'a paper boat', 'a white horse', 'a tiny dragon', 'the astronaut', 'a street musician']
ACTIONS = ['running through a snowy forest', 'walking along the beach at sunset', 'dancing in the rain',
           'sitting by a window reading a book', 'flying over a neon city at night', 'swimming in a clear lake',
           'playing the violin on a busy street', 'jumping over puddles', 'drinking coffee in a quiet cafe',
           'exploring an ancient temple']
STYLES = ['cinematic lighting, 4k', 'soft focus, shallow depth of field', 'aerial drone shot',
          'slow motion, close-up', 'watercolor style', 'handheld camera, documentary style']
MULTILINGUAL = [
    'Ein roter Fuchs läuft durch einen verschneiten Wald, filmische Beleuchtung.',
    'Der alte Mann geht am Strand spazieren, während die Sonne untergeht.',
    'Un petit robot danse sous la pluie, éclairage cinématographique.',
    'Une femme lit un livre près de la fenêtre. Il fait très beau aujourd’hui.',
    'Un perro dorado corre por la playa al atardecer, cámara lenta.',
    'Dos gatos juegan en el jardín; la cámara se acerca lentamente.',
    'Красная лиса бежит через заснеженный лес, кинематографическое освещение.',
    'Старик идёт по пляжу на закате, съёмка с дрона.',
    '一只红色的狐狸在雪林中奔跑，电影般的灯光。',
    '一个小机器人在雨中跳舞，慢动作特写。',
    '赤い狐が雪の森を走っている、映画のような照明。',
    '小さなロボットが雨の中で踊っている。',
    '빨간 여우가 눈 덮인 숲을 달리고 있다, 영화 같은 조명.',
    'ثعلب أحمر يركض عبر غابة مغطاة بالثلج.',
    'एक लाल लोमड़ी बर्फीले जंगल में दौड़ रही है।',
    'Μια κόκκινη αλεπού τρέχει μέσα σε ένα χιονισμένο δάσος.',
    'สุนัขจิ้งจอกสีแดงวิ่งผ่านป่าที่ปกคลุมด้วยหิมะ',
    'Kırmızı bir tilki karlı bir ormanda koşuyor.',
    'Czerwony lis biegnie przez zaśnieżony las.',
    'Một con cáo đỏ chạy qua khu rừng phủ đầy tuyết.',
]


def corpus():
    lines = []
    for i, s in enumerate(SUBJECTS):
        for j, a in enumerate(ACTIONS):
            st = STYLES[(i + j) % len(STYLES)]
            lines.append(f'{s[0].upper() + s[1:]} {a}, {st}.')
            lines.append(f'A video of {s} {a}. The camera slowly pans to the left; {st}!')
    lines += MULTILINGUAL * 3
    lines += ['Numbers like 1080p, 24fps, 3.5 seconds and 2024-05-01 appear in prompts (sometimes).',
              'Quotes "like this" and \'this\', brackets [a] {b} <c>, and symbols: #, %, &, *, +, =, @.']
    return lines


# ---- the reference cleaning (wan/modules/tokenizers.py), with the ftfy subset described above ----
CP1252 = bytes(range(0x80, 0xA0)).decode('cp1252', errors='replace')
# ftfy.chardata: SINGLE_QUOTE_RE [\u02bc\u2018-\u201b], DOUBLE_QUOTE_RE [\u201c-\u201f]
QUOTES = {'\u02bc': "'", '\u2018': "'", '\u2019': "'", '\u201a': "'", '\u201b': "'",
          '\u201c': '"', '\u201d': '"', '\u201e': '"', '\u201f': '"'}
LIGATURES = {'\u0132': 'IJ', '\u0133': 'ij', '\u0149': "\u02bcn", '\u01c4': 'D\u017d', '\u01c5': 'D\u017e',
             '\u01c6': 'd\u017e', '\u01c7': 'LJ', '\u01c8': 'Lj', '\u01c9': 'lj', '\u01ca': 'NJ', '\u01cb': 'Nj',
             '\u01cc': 'nj', '\u01f1': 'DZ', '\u01f2': 'Dz', '\u01f3': 'dz', '\ufb00': 'ff', '\ufb01': 'fi',
             '\ufb02': 'fl', '\ufb03': 'ffi', '\ufb04': 'ffl', '\ufb05': '\u017ft', '\ufb06': 'st'}
# ftfy.chardata WIDTH_MAP: the NFKC form of every changed char in U+FF01..U+FFEE, and U+3000 -> space
WIDTH = {chr(i): unicodedata.normalize('NFKC', chr(i)) for i in range(0xFF01, 0xFFEF)
         if unicodedata.normalize('NFKC', chr(i)) != chr(i)}
WIDTH['\u3000'] = ' '
ANSI_RE = re.compile(r'\033\[((?:\d|;)*)([a-zA-Z])')   # ftfy remove_terminal_escapes
ENTITY_RE = re.compile(r'&#?[0-9A-Za-z]{1,24};')           # ftfy unescape_html


def _ftfy_entities():
    import html.entities
    out = {}
    for name, char in html.entities.html5.items():
        if name.endswith(';'):
            out['&' + name] = char
            if name == name.lower():
                up = '&' + name.upper()
                if html.unescape(up) == up:
                    out[up] = char.upper()
    return out


FTFY_ENTITIES = _ftfy_entities()


def ftfy_unescape_html(text):
    def fix(m):
        t = m.group(0)
        if t in FTFY_ENTITIES:
            return FTFY_ENTITIES[t]
        if t.startswith('&#'):
            u = html.unescape(t)
            return t if ';' in u else u
        return t
    return ENTITY_RE.sub(fix, text)


def fix_text_subset(text):
    if '<' not in text:  # ftfy unescape_html='auto'
        text = ftfy_unescape_html(text)
    text = ANSI_RE.sub('', text)
    # fix_c1_controls: a C1 control is a cp1252 byte decoded as latin-1 ("sloppy": undefined bytes stay)
    text = ''.join(CP1252[ord(c) - 0x80] if 0x80 <= ord(c) < 0xA0 and CP1252[ord(c) - 0x80] != '\ufffd' else c
                   for c in text)
    text = ''.join(LIGATURES.get(c, c) for c in text)                       # fix_latin_ligatures
    text = ''.join(WIDTH.get(c, c) for c in text)                           # fix_character_width
    text = ''.join(QUOTES.get(c, c) for c in text)                          # uncurl_quotes
    text = text.replace('\r\n', '\n').replace('\r', '\n').replace('\u2028', '\n') \
        .replace('\u2029', '\n').replace('\u0085', '\n')                    # fix_line_breaks
    text = ''.join(c for c in text if not (                                  # remove_control_chars
        (ord(c) < 0x20 and c not in '\t\n\f\r') or ord(c) == 0x7f or c == '\ufeff'
        or 0x206a <= ord(c) <= 0x206f or 0xfff9 <= ord(c) <= 0xfffc))
    return unicodedata.normalize('NFC', text)


def clean(text):
    text = fix_text_subset(text)
    text = html.unescape(html.unescape(text)).strip()
    text = re.sub(r'\s+', ' ', text)
    return text.strip()


PROMPTS = [
    'A red fox running through a snowy forest, cinematic lighting.',
    'a cat',
    '',
    '   Leading and trailing spaces   ',
    'Tabs\tand\nnewlines\r\nand   runs    of spaces',
    'Punctuation!!! Does it work? Yes: (mostly); [brackets], {braces} & "quotes".',
    'HTML entities: caf&eacute; &amp;amp; &lt;b&gt; &#169; &#x1F600; &nbsp;non-breaking',
    'Curly “double” and ‘single’ quotes, an apostrophe’s test',
    'Ligatures ﬁne ﬂow and ＦＵＬＬＷＩＤＴＨ ｌｅｔｔｅｒｓ １２３',
    'Ein roter Fuchs läuft durch einen verschneiten Wald.',
    'Une femme lit un livre près de la fenêtre.',
    'Красная лиса бежит через заснеженный лес.',
    '一只红色的狐狸在雪林中奔跑。',
    '赤い狐が雪の森を走っている。ｶﾀｶﾅ',
    '빨간 여우가 눈 덮인 숲을 달리고 있다.',
    'ثعلب أحمر يركض عبر غابة.',
    'एक लाल लोमड़ी बर्फीले जंगल में दौड़ रही है।',
    'Μια κόκκινη αλεπού τρέχει.',
    'สุนัขจิ้งจอกสีแดงวิ่ง',
    'Emoji 🦊🔥 and symbols ☃ ♥ → unseen: ß Ω ∑ ✓',
    'Rare scripts fall back to bytes: ᚠᛇᚻ ꦗꦮ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
    'Decomposed e\u0301 and composed é, ñ vs n\u0303',
    'Numbers 1080p 24fps 3.5s 2024-05-01 #42 100% $9.99',
    'MiXeD CaSe WoRdS AND SHOUTING',
    'zero\u200bwidth space and soft\u00adhyphen',
    'C1 control \x93quoted\x94 and control\x07char',
    'Line\u2028separator and paragraph\u2029separator',
    'Special-looking text </s> <pad> <unk> stays text',
    'A video of a small robot dancing in the rain. The camera slowly pans to the left; slow motion, close-up! '
    'Then the robot stops, looks at the camera and waves, while neon lights flicker in the background.',
    'Der alte Mann geht am Strand spazieren, während die Sonne untergeht. Un perro dorado corre por la playa '
    'al atardecer. Старик идёт по пляжу на закате. 一个小机器人在雨中跳舞。',
    'x ' * 40,
    '...',
    'a_b-c/d\\e|f~g^h`i',
    'Ａ　full-width　space',
    'double &amp;amp;amp; escaped, and with a tag <i>&amp;amp;amp;</i>',
    'ﬀ ﬃ ŉ Ǆ',
    'Primes 5\u2032 10\u2033 stay, modifier \u02bcokina and \u201alow\u201b quotes change',
    'Half-width ｶﾞｷﾞ ﾊﾟ ￦ ￡ and \x1b[31mred\x1b[0m terminal colours',
    'ftfy entities: &NTILDE; &amp &eacute; &#x41; &#65 &AMP;',
]


def export_tokenizer_json(proto):
    pieces = [[p.piece, p.score] for p in proto.pieces]
    unk_id = next(i for i, p in enumerate(proto.pieces) if p.type == model_pb2.ModelProto.SentencePiece.UNKNOWN)
    added = []
    for i, p in enumerate(proto.pieces):
        if p.type in (model_pb2.ModelProto.SentencePiece.CONTROL, model_pb2.ModelProto.SentencePiece.UNKNOWN):
            added.append({'id': i, 'content': p.piece, 'single_word': False, 'lstrip': False, 'rstrip': False,
                          'normalized': False, 'special': True})
    charsmap = base64.b64encode(proto.normalizer_spec.precompiled_charsmap).decode('ascii')
    eos = proto.trainer_spec.eos_piece
    eos_id = next(i for i, p in enumerate(proto.pieces) if p.piece == eos)
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': added,
        'normalizer': {'type': 'Sequence', 'normalizers': [
            {'type': 'Precompiled', 'precompiled_charsmap': charsmap},
            {'type': 'Replace', 'pattern': {'Regex': ' {2,}'}, 'content': ' '}]},
        'pre_tokenizer': {'type': 'Metaspace', 'replacement': '\u2581', 'add_prefix_space': True},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': eos, 'type_id': 0}}],
            'pair': [{'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': eos, 'type_id': 0}},
                     {'Sequence': {'id': 'B', 'type_id': 0}}, {'SpecialToken': {'id': eos, 'type_id': 0}}],
            'special_tokens': {eos: {'id': eos, 'ids': [eos_id], 'tokens': [eos]}}},
        'decoder': {'type': 'Metaspace', 'replacement': '\u2581', 'add_prefix_space': True},
        'model': {'type': 'Unigram', 'unk_id': unk_id, 'vocab': pieces, 'byte_fallback': True},
    }


ENTITIES = os.path.join(os.path.dirname(__file__), '..', '..', 'src', 'main', 'resources', 'longlive', 'text',
                        'tokenizer', 'html5-entities.tsv')


def write_entities():
    """Python's html.unescape tables (HTML5 named references, numeric fix-ups) for the Java PromptCleaner."""
    import html.entities
    from html import _invalid_charrefs
    os.makedirs(os.path.dirname(ENTITIES), exist_ok=True)
    with open(ENTITIES, 'w', encoding='ascii', newline='\n') as f:
        f.write('# Generated by tools/tokenizer/make_tokenizer_fixture.py from Python ' + sys.version.split()[0]
                + "'s html module.\n# name<TAB>code points (hex); '#N' rows: numeric references replaced like html.unescape\n")
        for name in sorted(html.entities.html5):
            f.write(name + '\t' + ' '.join('%X' % ord(c) for c in html.entities.html5[name]) + '\n')
        for num in sorted(_invalid_charrefs):
            f.write('#%X\t' % num + ' '.join('%X' % ord(c) for c in _invalid_charrefs[num]) + '\n')


def main():
    os.makedirs(OUT, exist_ok=True)
    write_entities()
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, 'corpus.txt')
        with open(src, 'w', encoding='utf-8') as f:
            f.write('\n'.join(corpus()) + '\n')
        prefix = os.path.join(tmp, 'umt5_tiny')
        spm.SentencePieceTrainer.train(
            input=src, model_prefix=prefix, model_type='unigram', vocab_size=700, hard_vocab_limit=False,
            character_coverage=0.995, byte_fallback=True, normalization_rule_name='nmt_nfkc',
            pad_id=0, eos_id=1, bos_id=2, unk_id=3, num_threads=1, shuffle_input_sentence=False,
            input_sentence_size=0, minloglevel=2)
        sp = spm.SentencePieceProcessor(model_file=prefix + '.model')
        proto = model_pb2.ModelProto()
        with open(prefix + '.model', 'rb') as f:
            proto.ParseFromString(f.read())
    tok = export_tokenizer_json(proto)
    with open(os.path.join(OUT, 'tokenizer.json'), 'w', encoding='utf-8') as f:
        json.dump(tok, f, ensure_ascii=False, indent=None, separators=(',', ':'))
        f.write('\n')
    eos_id, pad_id = sp.eos_id(), sp.pad_id()
    cases = []
    truncated = 0
    for p in PROMPTS:
        c = clean(p)
        ids = sp.encode(c)
        full = len(ids) + 1
        # HF: truncation keeps room for the special token, then pads to max_length.
        ids = ids[:TEXT_LEN - 1] + [eos_id]
        truncated += full > TEXT_LEN
        mask = [1] * len(ids) + [0] * (TEXT_LEN - len(ids))
        ids = ids + [pad_id] * (TEXT_LEN - len(ids))
        cases.append({'prompt': p, 'cleaned': c, 'pieces': sp.encode(c, out_type=str), 'ids': ids, 'mask': mask})
    with open(os.path.join(OUT, 'cases.json'), 'w', encoding='utf-8') as f:
        json.dump({'text_len': TEXT_LEN, 'source': 'sentencepiece ' + spm.__version__ + ' (tools/tokenizer)',
                   'cases': cases}, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print(f'vocab {sp.get_piece_size()}, {len(cases)} prompts, {truncated} truncated to {TEXT_LEN}, '
          f'byte-fallback pieces used in {sum(any(t.startswith("<0x") for t in c["pieces"]) for c in cases)}; '
          f'wrote {os.path.normpath(OUT)}')


if __name__ == '__main__':
    sys.exit(main())
