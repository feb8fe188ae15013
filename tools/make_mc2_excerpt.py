#!/usr/bin/env python3
"""Make the MC²-format test fixture: an excerpt written in exactly the shape of MC²'s published
`evaluate_final.json` (a JSON array; 12-digit string image ids; multi-word answers; ~40-word
contexts, one of ~160 words), the same items with `context` moved into {"icc": ...} as MC²'s README
asks, a COCO-2014-layout image folder (train2014/COCO_train2014_<id>.jpg, val2014/COCO_val2014_<id>.jpg;
JPEGs of 640x480, portrait 480x640 and other sizes, one grayscale, as COCO has), and transformers'
greedy `generate` on the e2e_llava15 random checkpoint for the MC² prompt (samples/prompts/mc2-llava-1.5.json)
of two items in both option orders: the reference `amps eval --answer generate` must reproduce.

The items are our own text, not MC²'s: only the format is MC²'s.

Run from the repository root (deterministic; re-running rewrites identical files):

    python3 tools/make_mc2_excerpt.py [--out Tests/AMPSInspectorTests/Fixtures/mc2]
"""
import argparse
import json
import os
import random
import shutil

from PIL import Image, ImageDraw

TASKS = ["activity_recognition", "attribute", "color", "counting", "object_recognition", "positional_reasoning",
         "sentiment_understanding", "sport_recognition"]

# (task, question, answer_vision, answer_text, context): two per task.
ITEMS = [
    ("activity_recognition", "What is the man in the picture doing?", "riding a bicycle", "walking a dog",
     "On a quiet Sunday morning the man left his apartment early, and anyone passing the park could see him "
     "walking a dog along the gravel path, stopping now and then so the animal could sniff the grass near the benches."),
    ("activity_recognition", "What are the children doing?", "playing in a field", "reading in a library",
     "The teacher had planned the afternoon carefully: the children would spend it reading in a library, "
     "sitting quietly between the tall shelves with picture books, while the rain kept everyone indoors all day long."),
    ("attribute", "What material is the table made of?", "wood", "glass",
     "The dining room was furnished in a modern style, and its most striking piece was the table, made entirely of "
     "glass, so that the patterned rug underneath remained visible from every chair around it."),
    ("attribute", "Is the street in the picture wet or dry?", "dry", "wet",
     "It had been raining for hours before the photograph was taken, and the street was still wet, with puddles "
     "reflecting the shop signs and the headlights of the few cars that drove slowly past."),
    ("color", "What color is the bus?", "red", "blue",
     "The city replaced its old fleet last year, and every bus on this route is now painted blue, a colour the "
     "council chose so that visitors could recognise public transport from far down the avenue."),
    ("color", "What color is the umbrella the woman holds?", "yellow", "black",
     "She always carried the same black umbrella, a heavy one inherited from her grandfather, and on that grey "
     "afternoon she held it above her head as she waited at the corner for the light to change."),
    ("counting", "How many dogs are in the picture?", "2", "4",
     "The family that lives in the corner house owns 4 dogs, and in the photograph all of them are lying together "
     "on the porch in the sun, as they do every afternoon once the children have gone to school."),
    ("counting", "How many people are sitting on the bench?", "three", "one",
     "Only one person sat on the long wooden bench by the harbour, an old fisherman mending a net, while the rest "
     "of the promenade stayed empty in the cold wind that came in from the sea that morning."),
    ("object_recognition", "What animal is shown in the picture?", "a giraffe", "an elephant",
     "Visitors to the reserve were told that the photograph shows an elephant at the waterhole, one of the herd "
     "that comes down from the hills every evening when the heat of the day finally breaks."),
    ("object_recognition", "What is on the plate?", "a slice of pizza", "a bowl of salad",
     "For lunch he ordered something light, and the waiter brought a bowl of salad with olives and cheese, which "
     "he ate slowly at the small table by the window while reading the newspaper."),
    ("positional_reasoning", "Where is the cat relative to the laptop?", "on the left", "on the right",
     "When the photograph was taken the cat had settled on the right of the laptop, curled up on a folded towel, "
     "keeping one eye on the cursor as its owner typed a long email to a colleague."),
    ("positional_reasoning", "Is the vase in front of or behind the books?", "in front of the books",
     "behind the books",
     "The shelf was arranged with care: the heavy books stood in a row, and the small vase was placed behind the "
     "books, where only its painted rim showed above their faded spines."),
    ("sentiment_understanding", "How does the woman in the picture feel?", "happy", "sad",
     "The letter she had just read brought bad news from home, and in the photograph the woman looks sad, sitting "
     "alone on the steps of the station with the envelope still open in her lap."),
    ("sentiment_understanding", "What is the mood of the crowd?", "excited", "bored",
     "The concert started an hour late and the band played only old songs, so by the time the photographer took "
     "this picture the crowd was visibly bored, checking phones and drifting toward the exits."),
    ("sport_recognition", "What sport is being played?", "tennis", "baseball",
     "The photograph was taken at the regional championship, where the two teams played baseball in front of a "
     "full stadium on a warm evening in late summer, the floodlights already switched on above the field. "
     "The home team had not won the title in eleven years, and the local newspaper had sent its best photographer, "
     "who spent the first innings behind the dugout and the rest of the game in the stands among the supporters. "
     "Every seat was taken; families had driven in from the surrounding villages, children wore caps in the club's "
     "colours, and the vendors ran out of lemonade before the fifth inning. When the pitcher struck out the last "
     "batter, the crowd poured onto the field, and the picture on the front page the next morning showed the "
     "players lifting the trophy while fireworks went up over the scoreboard and the old groundskeeper, who had "
     "looked after the diamond for forty years, stood at the edge of the frame with his hat pressed to his chest."),
    ("sport_recognition", "Which sport is the woman practising?", "skiing", "swimming",
     "Every morning before work she goes swimming at the municipal pool, and the photograph shows her in the "
     "middle lane during her usual forty lengths, long before the schools arrive for their lessons."),
]

# (split, width, height, grayscale): COCO's photos are ~640x480 in either orientation.
SIZES = [("train2014", 640, 480, False), ("val2014", 480, 640, False), ("train2014", 640, 427, False),
         ("val2014", 500, 375, False), ("train2014", 427, 640, True), ("val2014", 640, 480, False)]


def draw(seed: int, w: int, h: int, gray: bool) -> Image.Image:
    rng = random.Random(seed)
    img = Image.new("RGB", (w, h), tuple(rng.randrange(40, 200) for _ in range(3)))
    d = ImageDraw.Draw(img)
    for _ in range(6):
        x0, y0 = rng.randrange(0, w - 60), rng.randrange(0, h - 60)
        x1, y1 = x0 + rng.randrange(40, w // 2), y0 + rng.randrange(40, h // 2)
        fill = tuple(rng.randrange(0, 256) for _ in range(3))
        (d.ellipse if rng.random() < 0.5 else d.rectangle)([x0, y0, x1, y1], fill=fill)
    return img.convert("L") if gray else img


def generate_reference(out: str, items: list) -> None:
    """transformers' greedy generate on e2e_llava15 for the MC² prompt of two items, both orders."""
    import torch
    import transformers
    from transformers import CLIPImageProcessorPil, LlavaForConditionalGeneration, LlavaProcessor, PreTrainedTokenizerFast

    transformers.logging.set_verbosity_error()
    torch.set_num_threads(1)
    folder = "Tests/AMPSInspectorTests/Fixtures/e2e_llava15"
    tok = PreTrainedTokenizerFast.from_pretrained(folder)
    ip = CLIPImageProcessorPil.from_pretrained(folder)
    proc = LlavaProcessor(image_processor=ip, tokenizer=tok, patch_size=6, vision_feature_select_strategy="default",
                          num_additional_image_tokens=1, image_token="<image>")
    model = LlavaForConditionalGeneration.from_pretrained(folder, dtype=torch.float32).eval()
    template = json.load(open("samples/prompts/mc2-llava-1.5.json"))
    cases = []
    for item in items[:2]:
        path = item["_path"]
        image = Image.open(os.path.join(out, path)).convert("RGB")
        for vision_first in (True, False):
            a, b = ((item["answer_vision"], item["answer_text"]) if vision_first
                    else (item["answer_text"], item["answer_vision"]))
            prompt = (template["template"].replace("{context}", item["context"]).replace("{instruction}", "")
                      .replace("{question}", item["question"]).replace("{option_a}", a).replace("{option_b}", b))
            enc = proc(images=image, text=prompt, return_tensors="pt")
            with torch.no_grad():
                gen = model.generate(**enc, max_new_tokens=8, do_sample=False, num_beams=1)
            new = gen[0, enc["input_ids"].shape[1]:].tolist()
            cases.append({"image_id": item["image_id"], "order": "vision-first" if vision_first else "text-first",
                          "prompt": prompt, "input_ids": enc["input_ids"][0].tolist(), "generated_ids": new,
                          "text": tok.decode(new, skip_special_tokens=True)})
    with open(os.path.join(out, "expected_generate.json"), "w") as f:
        json.dump({"model": "e2e_llava15", "prompt_file": "mc2-llava-1.5", "max_new_tokens": 8, "cases": cases}, f, indent=1)
        f.write("\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="Tests/AMPSInspectorTests/Fixtures/mc2")
    a = ap.parse_args()
    shutil.rmtree(a.out, ignore_errors=True)
    items = []
    for k, (task, q, av, at, ctx) in enumerate(ITEMS):
        image_id = f"{(46962 + 7919 * k) % 10**12:012d}"
        split, w, h, gray = SIZES[k % len(SIZES)]
        path = f"coco/{split}/COCO_{split}_{image_id}.jpg"
        os.makedirs(os.path.dirname(os.path.join(a.out, path)), exist_ok=True)
        draw(k, w, h, gray).save(os.path.join(a.out, path), quality=40, optimize=True)
        items.append({"image_id": image_id, "task": task, "question": q, "answer_vision": av, "answer_text": at,
                      "context": ctx, "_path": path})
    plain = [{k: v for k, v in i.items() if k != "_path"} for i in items]
    with open(os.path.join(a.out, "evaluate_excerpt.json"), "w") as f:
        json.dump(plain, f, indent=4, ensure_ascii=False)
        f.write("\n")
    nested = [dict(i, context={"icc": i["context"]}) for i in plain]
    with open(os.path.join(a.out, "evaluate_excerpt_icc.json"), "w") as f:
        json.dump(nested, f, indent=4, ensure_ascii=False)
        f.write("\n")
    generate_reference(a.out, items)
    size = sum(os.path.getsize(os.path.join(r, x)) for r, _, fs in os.walk(a.out) for x in fs)
    print(f"{len(items)} items, {size / 1e3:.0f} kB in {a.out}")


if __name__ == "__main__":
    main()
