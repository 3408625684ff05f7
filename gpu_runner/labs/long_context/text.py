"""Texts the long-context lab measures with, shipped so nothing is downloaded: an original essay written for
DeployDojo (plain English prose, about 3,000 words) for perplexity, and the passkey prompt's pieces (also
original wording, after the passkey-retrieval test of Mohtashami & Jaggi 2023, arXiv 2305.16300)."""

# Paragraphs are wrapped here for the line-length limit; EVAL_TEXT joins each paragraph back into one line.
_ESSAY = """\
The Keeper of the Northern Light

The lighthouse on the northern point was built in a year of storms, when three ships were lost on the reef within a
single winter and the harbour town decided it could no longer trust the sea to be kind. The builders came in spring.
They carried granite from the quarry above the valley on carts pulled by oxen, and they laid the first course of
stone on a day so calm that the water around the point looked like polished slate. By autumn the tower stood forty
metres high, white and narrow, with a lantern room of brass and glass at the top and a spiral stair of one hundred
and eighty steps inside it.

The first keeper was a carpenter named Ansel Varga, who had lost two fingers to a saw and could no longer work fine
joints. He took the post because it paid a steady wage and came with a cottage, and because he liked the idea of a
job whose whole purpose was to be awake while everyone else slept. He kept a log from his first night. It is still
kept in the town library, in a box lined with felt, and anyone who asks politely may read it.

The early entries are short. "Lit at dusk. Wind west, moderate. Two fishing boats in by nine. Trimmed the wick at
midnight and again at three. Extinguished at dawn." Over the months they grow longer, as if the keeper discovered
that the night was full of things worth writing down. He records the colour of the sky before a gale, the way gulls
gather on the rocks when the pressure falls, the sound the lantern glass makes when hail strikes it. He notes the
names of ships that pass and the signals they send. Once he writes only: "Fog so thick I could not see the lamp from
the gallery rail. Rang the bell every two minutes until morning. Arms ache."

A lighthouse is a simple machine with a difficult job. The light must be bright enough to be seen far out at sea,
and it must be recognisable, so that a sailor who sees it knows which light it is and therefore where the ship is.
The northern light was given a pattern: two flashes, a pause, then two flashes again, repeating every twelve
seconds. A navigator with a watch and a chart could count the flashes, look up the pattern, and know that the reef
lay to the south and the safe channel to the east. The pattern was made by a rotating frame of lenses driven by a
clockwork weight that the keeper wound by hand every four hours. If he forgot, the lenses stopped turning, the light
became a steady glow, and the pattern was gone. In his log Ansel wrote that he set two alarms and slept in his
boots.

The lenses themselves were a marvel. Instead of one enormous curved piece of glass, which would have been too heavy
to turn and too thick to cast without flaws, they were built from rings of prisms arranged around a central lens.
Each ring bent the light from the lamp a little more than the one inside it, so that together they gathered light
that would otherwise have spilled up into the sky or down into the sea and sent it out in a single horizontal beam.
A small flame, a few centimetres high, became a light that could be seen thirty kilometres away. Visitors who
climbed the tower were always surprised by how small the lamp was and how large the lens.

Fuel changed over the years. At first the lamp burned whale oil, which smoked and had to be warmed in winter so that
it would flow. Later it burned a mineral oil that came in barrels on the supply boat, and the keeper carried it up
the stair in cans, two at a time, resting on every landing. Later still, a cable was laid along the causeway and the
flame was replaced by an electric bulb, which was brighter and needed no trimming, although the keeper still kept an
oil lamp ready in case the power failed. The clockwork was replaced by a motor, and the bell by a horn that could be
heard across the whole bay. Each change made the work lighter and the light more reliable, and each one removed a
small reason for a person to be there at all.

Ansel kept the light for twenty-two years. His daughter Mira kept it for thirty-one more. She had grown up on the
point, learned to read from the shipping notices, and learned arithmetic by calculating how much oil the lamp would
burn in a winter. When her father's knees failed she carried the cans for him, and when he died the harbour board
gave her the post without much discussion, because no one else knew the tower as well. Her log is different from
his. Where he described the weather, she measured it. She kept a barometer, a thermometer, a rain gauge and an
anemometer that she built herself from tin cups and a bicycle wheel. Three times a day she wrote down the readings
in neat columns, and once a month she sent a copy to the weather office in the capital, which eventually began to
pay her a small fee for them.

Her records turned out to be more valuable than anyone expected. Decades later, when scientists wanted to know how
the climate of the coast had changed, they found that the lighthouse log was one of the longest unbroken series of
measurements in the region. Because she had used the same instruments in the same place at the same times of day,
her numbers could be compared with each other across years. Because she had noted every time an instrument was
repaired or replaced, the scientists could correct for the small jumps those changes caused. A record is only as
useful as the care taken in keeping it, and hers had been kept with great care.

There is a lesson in that for anyone who measures things for a living. A single reading tells you very little. A
reading taken the same way, again and again, with every change in method written down, can tell you a great deal.
Mira understood this without being taught it. When a visiting engineer suggested that she move the thermometer to a
more convenient spot on the sunny side of the cottage, she refused, because the new readings would not have matched
the old ones, and she would have lost the thread of thirty years.

The harbour town grew while the light kept watch. The fishing fleet became smaller but the boats became larger. A
ferry began to run to the islands twice a day. In summer, yachts came from the south and anchored in the bay, and
their crews rowed ashore to buy bread and ask for directions to the tower. Mira gave tours on Sunday afternoons. She
would lead a group up the stair, pausing on each landing to tell a story: the night the supply boat sank at the
jetty, the winter the bay froze so hard that children walked out to the point, the ship that ran aground on the reef
in spite of the light because its captain had been reading the wrong page of his chart. At the top she would let the
visitors look through the lens, where the world appeared upside down and bent into rings, and she would explain how
a small flame could reach so far.

In the last years of her service, the harbour board installed an automatic system. A light sensor switched the lamp
on at dusk and off at dawn. A monitor in the town sent an alarm if the lamp failed or the lens stopped turning. The
horn sounded by itself when a fog detector saw the air thicken. Mira watched the installation with interest and made
the engineers explain every part of it. She asked what would happen if the sensor failed, if the cable was cut, if
the monitor lost its connection. She wrote their answers in her log, and beside some of them she wrote a question
mark.

The night after the system was switched on, she sat up anyway. Nothing went wrong. The lamp came on at dusk without
her touching it and went off at dawn. She wrote: "It works. I am not sure yet whether I trust it." She kept sitting
up for a month, and then for a week at a time, and then only on nights of bad weather. When she retired she moved to
a house in the town from which she could see the tower, and people said that on stormy nights her window was always
lit.

Automation did not make the light less important. It changed what kind of attention the light needed. Instead of a
keeper who trimmed wicks and wound clockwork, the light now needed a technician who understood sensors and circuits,
and an engineer who thought about what could fail and how anyone would know. The failures became rarer, but they
also became stranger. Once the light went dark for an hour because a software update in the monitoring system
changed the time zone, and the sensor that switched on the lamp believed it was still afternoon. No one in the town
noticed until a fisherman called the harbour office to ask why the point was black. After that, the board required
that every change to the system be tested on a spare controller before it touched the real one, and that someone
watch the tower on the first night after any change.

The tower still stands. The lens has been replaced by a modern beacon, a compact array of lights that uses a
fraction of the power and can run for days on a battery. The old lens sits in a glass case in the library, next to
the box with the logs, and schoolchildren are brought to see it. A guide tells them how it works and asks them to
count the rings of prisms. Then the guide opens the first log and reads Ansel's first entry aloud: "Lit at dusk.
Wind west, moderate. Two fishing boats in by nine."

Some of the children ask why anyone needed a person to sit in a tower all night. The guide explains that the sea
does not care whether a light is convenient to keep. A ship in a storm needs the light to be there, every night, in
the same pattern, without exception. For most of the tower's history the only way to make sure of that was to have
someone awake beside it, checking and rechecking, writing down what happened so that the next person would know. Now
machines do the checking, but someone still has to decide what the machines should check, read what they report, and
notice when the report looks wrong.

A Note on Measurement

Everything in the story of the northern light depends on doing the same thing the same way and writing down when
something changes. The same is true in any field where people measure performance. Suppose an engineer wants to know
how fast a computer program runs. She runs it once and it takes two seconds. She runs it again and it takes two and
a half. Which number is right? Neither, and both. The program ran in two seconds the first time, under the
conditions of the first run, and in two and a half the second time, under slightly different conditions. Perhaps
another program was using the processor. Perhaps the data was already in memory the first time and had to be read
from disk the second. Perhaps the processor was warm and had slowed itself down to avoid overheating.

A careful engineer does what Mira did. She fixes as many conditions as she can. She runs the program several times
before she starts measuring, so that whatever happens on the first run, such as loading files or compiling code,
does not distort the results. She runs it many times and looks at the middle value, the median, rather than the
fastest or the slowest. She writes down the machine, the versions of the software, the size of the input and
anything else that might matter. And when she wants to know whether a change made the program faster, she measures
the old version and the new version on the same machine, on the same day, one after the other, so that the
conditions are as similar as they can be. A ratio measured that way means something. A number measured once, on an
unknown machine, means very little.

There is a further trap. It is easy to measure the wrong thing with great precision. An engineer who times only the
part of a program she has just improved may find that it runs ten times faster, while the program as a whole runs
only a few percent faster, because the part she improved was a small share of the total. A lighthouse that flashes
brightly but in the wrong pattern is worse than useless, because sailors will trust it. The first question to ask
about any measurement is not how precise it is but whether it answers the question that matters.

Language models bring these questions into sharp focus. A model that generates text does two different kinds of
work. First it reads the prompt, all at once, which is called the prefill. Then it produces the answer one piece at
a time, which is called decoding. The prefill is limited by how much arithmetic the processor can do; the decoding
is limited, for small batches, by how fast the weights of the model can be read from memory, because every new token
requires reading all of them. Someone who measures only the total time of a request mixes these two things together
and cannot tell which one to improve. Someone who measures them separately can see, for example, that a long prompt
makes the first token slow while the later tokens arrive at a steady pace.

Memory tells a similar story. While the model reads a prompt, it stores two vectors for every token in every layer,
the keys and the values, so that later tokens can look back at earlier ones without recomputing them. This store is
called the key-value cache. It grows in direct proportion to the length of the text. For a short conversation it is
small compared with the weights of the model. For a very long document it can become larger than the weights
themselves, and then it, not the model, decides how many requests a server can handle at once. An engineer who plans
a deployment must know how the cache grows, just as a keeper must know how much oil the lamp burns in a winter.

Long Texts and Positions

A model that reads text must know the order of the words, because "the dog bit the man" and "the man bit the dog"
contain the same words and mean different things. Many models encode order by rotating the vectors that represent
each token through an angle that depends on its position. Tokens close together are rotated by similar angles, and
tokens far apart by very different ones, so the model can tell how far apart two tokens are by comparing their
rotations. The rotation happens at many speeds at once: some parts of each vector turn quickly with position, others
slowly, like the hands of a clock that show seconds, minutes and hours together.

During training a model sees texts up to some length, and it learns what the rotations look like within that range.
If it is later asked to read a longer text, the slowest hands of the clock reach angles it has never seen, and its
predictions become unreliable, sometimes wildly so. Several methods try to stretch the clock so that a longer text
fits into the range the model knows. The simplest slows every hand by the same factor, so that a text twice as long
produces the same angles as the original length. This works, but it blurs the fine distinctions between neighbouring
tokens that the fast hands used to make. A second method changes the base of the rotation so that the slow hands are
stretched more than the fast ones, and it can do this only when the text is actually longer than the training
length, leaving short texts exactly as before. A third method treats each speed separately: the fast hands are left
alone, the slow hands are stretched, and those in between are blended, with a small correction to the strength of
attention.

Which method works best is an empirical question, and it is answered the way every question in this essay is
answered: by measuring carefully. One measures how well the model predicts a long text at each length, with each
method, on the same text. One hides a short piece of information, such as a number, at different depths inside a
long passage and asks the model to repeat it, and counts how often it succeeds. One writes down the lengths, the
methods, the text and the machine, so that the next person can repeat the test and compare. The largest length at
which the model still finds the hidden number reliably is, in a practical sense, the length it can really use.

The Keeper's Rule

Mira Varga left a page at the end of her last log, addressed to whoever would come after her. It was not about lamps
or weather. It said: "Do the same thing every night. Write down what you did and what you saw. When something
changes, write down what changed and when. If you are not sure whether something matters, write it down anyway.
Someone will need it, and it may be you."

The people who now maintain the beacon on the northern point do not climb the stair every night. They read reports
on a screen in an office in the town, and they drive out to the point once a month to test the batteries and clean
the glass. But they keep a log, and on the first page of the log, copied in a careful hand, is the keeper's rule.
"""

EVAL_TEXT = "\n\n".join(" ".join(p.split("\n")) for p in _ESSAY.strip().split("\n\n"))

PASSKEY_INTRO = ("There is a pass key hidden inside a lot of unrelated text. Find it and remember it; "
                 "you will be asked for it at the end.\n\n")
PASSKEY_FILLER = ("The river runs past the old mill. Clouds drift over the hills. A bell rings in the valley, "
                  "and the day goes on.\n")
PASSKEY_NEEDLE = "\nThe pass key is {key}. Remember it. {key} is the pass key.\n\n"
PASSKEY_QUESTION = "\nWhat is the pass key? The pass key is"
