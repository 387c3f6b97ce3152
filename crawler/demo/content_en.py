"""English demo articles: translated summaries of the same regional stories.

Three of them (cold wave, cucumbers, railway) never use the word "education".
"""

from __future__ import annotations

from crawler.demo.model import DemoArticle

QLWB = "Qi Lu Wan Bao"

EN_ARTICLES: tuple[DemoArticle, ...] = (
    DemoArticle(
        path="/en/2026/01/cold-wave-shandong-minus-15.html",
        style="english",
        title="Cold wave pushes temperatures below minus 15C across Shandong",
        published="2026-01-06T11:15:00+08:00",
        language="en",
        authors=("Meng Yan",),
        source=QLWB,
        byline="Reporter Meng Yan",
        summary="Yiyuan County recorded minus 17.3C as gales halted ferries off Yantai and Weihai.",
        paragraphs=(
            "A strong cold front swept across Shandong on the night of January 4, cutting average "
            "temperatures by 8 to 10 degrees Celsius and pushing overnight lows below minus 15C in "
            "the northwest of the province and the central hills.",
            "The provincial meteorological observatory said the coldest reading on the morning of "
            "January 5 came from Yiyuan County, at minus 17.3C, while downtown Jinan dropped to "
            "minus 11.6C, its lowest of the winter so far.",
            "Gale-force gusts over the Bohai Sea and the northern Yellow Sea forced several "
            "passenger ferry routes out of Yantai and Weihai to suspend sailings for the night.",
            "Forecasters expect the cold to linger until around January 7. Greenhouse farmers have "
            "been advised to reinforce plastic covers and keep heating equipment on standby.",
        ),
    ),
    DemoArticle(
        path="/en/2026/01/pingyuan-county-quality-balanced-compulsory-education.html",
        style="english",
        title="Pingyuan County recognised for quality and balanced compulsory education",
        published="2026-01-08T08:45:00+08:00",
        language="en",
        authors=("Wang Beiyi", "Xu Hua"),
        source=QLWB,
        byline="Reporter Wang Beiyi, correspondent Xu Hua",
        summary="Five years of school building have erased oversized classes in the Dezhou county.",
        paragraphs=(
            "Pingyuan County in Dezhou has been named in the first batch of counties recognised by "
            "the Ministry of Education for quality and balanced development of compulsory "
            "education, according to a list published on January 6.",
            "Over the past five years the county has spent 960 million yuan building or enlarging "
            "31 primary schools, middle schools and kindergartens, adding about 14,000 school "
            "places and eliminating classes of more than 56 pupils.",
            "Each school was checked against seven national indicators for facilities and "
            "staffing, and a plan was drawn up for whatever it lacked. The county says the gap "
            "between its schools is now narrower than the national standard requires.",
            "More than 200 teachers have been recruited every year for three years, with new hires "
            "sent first to village schools, and 682 head teachers and teachers have rotated "
            "between urban and rural schools.",
            '"We used to think about moving our child to a school in town. Now the village school '
            "is just as good,\" said a parent in Encheng Town, whose daughter's school runs more "
            "than a dozen after-school clubs, from paper-cutting to football.",
        ),
    ),
    DemoArticle(
        path="/en/2026/01/gaotang-listed-quality-balanced-education.html",
        style="english",
        title="高唐上榜！教育部公布义务教育优质均衡发展县名单",
        published="2026-01-08T09:30:00+08:00",
        language="en",
        authors=(),
        source=QLWB,
        byline="Qi Lu Wan Bao·2026-01-08 09:30",
        summary="Gaotang is the first county in Liaocheng to win the national recognition.",
        paragraphs=(
            "Core Viewpoint - Gaotang County in Liaocheng has been included in the Ministry of "
            "Education's first batch of counties recognised for quality and balanced compulsory "
            "education in 2025, the first county in Liaocheng to receive the national recognition.",
            "Investment in Schools - The county has invested 1.23 billion yuan, building or "
            "expanding 42 schools, adding 21,000 school places and providing boarding schools in "
            "every township.",
            "Sharing Teachers - Nine urban-rural education communities link town schools with "
            "village schools, which now share curricula, lesson planning and teacher training.",
            "Classroom Links - Fifth graders in Liulisi Town take weekly music and science lessons "
            "together with pupils of the county's experimental primary school through synchronised "
            "online classrooms.",
        ),
    ),
    DemoArticle(
        path="/en/2026/01/shizhong-district-new-schools-4800-places.html",
        style="english",
        title="Jinan's Shizhong District to open three new schools with 4,800 places",
        published="2026-01-10T10:05:00+08:00",
        language="en",
        authors=("Liu Tong",),
        source=QLWB,
        byline="By Liu Tong",
        summary="A nine-year school with an underground drop-off area leads the new openings.",
        paragraphs=(
            "Three newly built schools in the Qixian and Shiliuhe areas of Jinan's Shizhong "
            "District have passed final inspection and will open for the spring semester, adding "
            "4,800 primary and middle school places.",
            "The largest is a nine-year school south of the Second Ring Road South, with room for "
            "72 classes, an indoor gym and an underground drop-off area meant to ease traffic at "
            "the school gate during rush hour.",
            "The district education bureau said schools are now planned together with new housing "
            "estates, so that places are ready when families move in.",
            "Each new school will be run under the management of an established school in the "
            "district, and the first teams of teachers have already been appointed.",
        ),
    ),
    DemoArticle(
        path="/en/2026/01/daiyue-pairs-town-and-village-schools.html",
        style="english",
        title="Daiyue pairs town and village schools so rural pupils learn close to home",
        published="2026-01-12T15:30:00+08:00",
        language="en",
        authors=("Liu Yafei", "Chen Li"),
        source=QLWB,
        byline="",  # the reporter is named inside the first paragraph, as in seeds/003
        summary="Forty-seven rural schools in Tai'an now share teachers with town schools.",
        paragraphs=(
            "Jan 12th (Reporter Liu Yafei) When a maths teacher from one of the best schools in "
            "town arrived at Xiazhang Town Middle School in Tai'an's Daiyue District, lessons "
            'changed quickly, one eighth grader said: "He makes every problem feel like a puzzle."',
            "Since 2025, Daiyue has paired each strong urban school with several rural schools, "
            "which share management, curricula and teaching staff. Forty-seven rural primary and "
            "middle schools take part.",
            "At least 120 experienced teachers are sent to village schools for a year or longer "
            "every year, while young rural teachers spend time shadowing colleagues in town.",
            "The district's education and sports bureau says it will keep increasing spending on "
            "rural schools so that children in the countryside receive a fairer, better education.",
        ),
    ),
    DemoArticle(
        path="/en/2026/01/shouguang-greenhouse-cucumber-harvest.html",
        style="english",
        title="Shouguang greenhouses reach peak winter cucumber harvest",
        published="2026-01-15T10:40:00+08:00",
        language="en",
        authors=("Qin Guoling", "Wang Xiaoli"),
        source=QLWB,
        byline="Reporter Qin Guoling, correspondent Wang Xiaoli",
        summary="More than 500 tonnes a day now pass through the Shouguang logistics park.",
        paragraphs=(
            "Just after New Year's Day, greenhouses in Shouguang's Gucheng Subdistrict are busy "
            "from dawn: cucumbers are cut from the vines, sorted, boxed and on their way to "
            "supermarkets in Beijing and Shanghai the same day.",
            "The Shouguang agricultural products logistics park says more than 500 tonnes of "
            "cucumbers now change hands there each day, at wholesale prices of 5.2 to 6.4 yuan "
            "per kilogram, slightly higher than a year earlier.",
            "Grower Zhang Baohua has more than 3,000 cucumber plants in two greenhouses and "
            'expects to clear over 100,000 yuan this season. "Plenty of sunshine this winter, so '
            'the temperature inside is easy to manage," he said.',
            "Local agricultural officials have stockpiled emergency heaters in case of a long "
            "spell of snow and overcast weather.",
        ),
    ),
    DemoArticle(
        path="/en/2026/01/jinan-binzhou-railway-first-month.html",
        style="english",
        title="Jinan-Binzhou high-speed railway carries 638,000 passengers in first month",
        published="2026-01-16T08:00:00+08:00",
        language="en",
        authors=("Guo Chunyu",),
        source="Dazhong Daily",
        byline="Reporter Guo Chunyu",
        summary="The fastest trains now link the two cities in 53 minutes.",
        paragraphs=(
            "The Jinan-Binzhou high-speed railway carried 638,000 passengers in its first month "
            "of operation, with daily traffic passing 20,000 and the heaviest demand at weekends "
            "and over the New Year holiday, China Railway Jinan Group said.",
            "The 133-kilometre line runs north from Jinan East Station through Jiyang District and "
            "Huimin County to Binzhou, cutting the fastest journey between the two cities to "
            "53 minutes.",
            '"It used to take more than two hours by coach to get to Jinan. Now I can go in the '
            'morning and be home for lunch," said Li Hongjun, a Huimin resident waiting at '
            "Binzhou Station.",
            "Extra evening trains were added over the New Year holiday, and the railway says it "
            "will adjust capacity as demand changes.",
        ),
    ),
)
